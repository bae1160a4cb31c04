import type pg from 'pg';
import type { Catalog } from '../rules/catalog.js';
import { viewOf } from '../rules/progress-view.js';
import type { ClientProgress } from '../rules/progress.js';
import { upgradeProgress } from '../rules/progress-upgrade.js';
import type { Role } from './auth.js';

export interface AuditEntry {
  actorId: string;
  actorRole: Role;
  action: string;
  target: string;
  reason: string | null;
}

export interface AchievementStats {
  achievementId: string;
  unlocked: number;
  /** Clients on the way, by how far they are: `from` and `to` are fractions of the target. */
  progress: { from: number; to: number; clients: number }[];
}

/** What support and admins read, and the audit log every such read is written to. */
export interface AdminReads {
  statsOf: (achievementId: string) => Promise<AchievementStats>;
  audit: (entry: AuditEntry) => Promise<void>;
  auditLog: (limit: number) => Promise<(AuditEntry & { at: string })[]>;
}

const BUCKETS = 10;

export function postgresAdminReads(
  db: pg.Pool,
  catalog: () => Catalog,
  zone: string,
  nowMs = Date.now,
): AdminReads {
  return {
    statsOf: async (achievementId) => {
      const achievement = catalog().achievements.get(achievementId)!;
      const unlocked = await db.query<{ n: string }>(
        'SELECT count(*) AS n FROM achievement_unlocks WHERE achievement_id = $1',
        [achievementId],
      );
      // Clients with progress on the rule who do not hold the achievement yet.
      const { rows } = await db.query<{ progress: ClientProgress }>(
        `SELECT progress FROM client_progress p WHERE (progress -> 'rules') ->> $1 IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM achievement_unlocks u WHERE u.client_id = p.client_id AND u.achievement_id = $2)`,
        [achievement.rule.progressKey, achievementId],
      );
      const counts = new Array<number>(BUCKETS).fill(0);
      for (const { progress } of rows) {
        const { current, target } = viewOf(
          achievement,
          upgradeProgress(progress, catalog()),
          nowMs(),
          zone,
        ).progress;
        counts[Math.min(BUCKETS - 1, Math.floor((current / target) * BUCKETS))]!++;
      }
      return {
        achievementId,
        unlocked: Number(unlocked.rows[0]!.n),
        progress: counts.map((clients, i) => ({ from: i / BUCKETS, to: (i + 1) / BUCKETS, clients })),
      };
    },
    audit: async (entry) => {
      await db.query(
        'INSERT INTO audit_log (actor_id, actor_role, action, target, reason) VALUES ($1, $2, $3, $4, $5)',
        [entry.actorId, entry.actorRole, entry.action, entry.target, entry.reason],
      );
    },
    auditLog: async (limit) => {
      const { rows } = await db.query<AuditEntry & { at: Date }>(
        `SELECT at, actor_id AS "actorId", actor_role AS "actorRole", action, target, reason
           FROM audit_log ORDER BY id DESC LIMIT $1`,
        [limit],
      );
      return rows.map((row) => ({ ...row, at: row.at.toISOString() }));
    },
  };
}
