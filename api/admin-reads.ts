import type pg from 'pg';
import { localDay } from '../rules/calendar.js';
import type { Catalog } from '../rules/catalog.js';
import { viewOf } from '../rules/progress-view.js';
import type { ClientProgress } from '../rules/progress.js';
import { upgradeProgress } from '../rules/progress-upgrade.js';
import type { Role } from './auth.js';
import { audit } from './audit-log.js';

export interface AuditEntry {
  actorId: string;
  actorRole: Role;
  action: string;
  target: string;
  reason: string | null;
  /** The second admin who approved what `actorId` proposed (four-eyes); absent for one person's action. */
  approvedBy?: string;
  /** The proposal an approved action ran for. */
  proposalId?: string;
}

/** An entry as the log shows it: when, and the approving admin or null. */
export type AuditRow = Omit<AuditEntry, 'approvedBy' | 'proposalId'> & {
  at: string;
  approvedBy: string | null;
  proposalId: string | null;
};

/** Unlocks per calendar day (bank time zone) of the last `DAYS` days, oldest first, none left out. */
export type UnlocksPerDay = { day: string; unlocks: number }[];

export interface AchievementStats {
  achievementId: string;
  unlocked: number;
  unlocksPerDay: UnlocksPerDay;
  /** Clients on the way, by how far they are: `from` and `to` are fractions of the target. */
  progress: { from: number; to: number; clients: number }[];
}

export interface AuditQuery {
  limit: number;
  actorId?: string;
  /** An action, or the start of one (`rule.` for every rule change). */
  action?: string;
  fromMs?: number;
  toMs?: number;
}

/** What support and admins read, and the audit log every such read is written to. */
export interface AdminReads {
  statsOf: (achievementId: string) => Promise<AchievementStats>;
  /** Every achievement's holders and unlocks per day. */
  overview: () => Promise<{ achievementId: string; unlocked: number; unlocksPerDay: UnlocksPerDay }[]>;
  audit: (entry: AuditEntry) => Promise<void>;
  auditLog: (query: AuditQuery) => Promise<AuditRow[]>;
}

const BUCKETS = 10;
const DAYS = 30;
const DAY_MS = 86_400_000;

/** The last `DAYS` calendar days in `zone`, ending today, as `YYYY-MM-DD` (calendar days, not 24 h steps). */
function lastDays(nowMs: number, zone: string): string[] {
  const today = localDay(nowMs, zone);
  return Array.from({ length: DAYS }, (_, i) =>
    new Date((today - (DAYS - 1 - i)) * DAY_MS).toISOString().slice(0, 10),
  );
}

async function unlocksPerDay(db: pg.Pool, zone: string, nowMs: number, achievementId?: string) {
  const { rows } = await db.query<{ achievement_id: string; day: string; n: string }>(
    `SELECT achievement_id, to_char(unlocked_at AT TIME ZONE $1, 'YYYY-MM-DD') AS day, count(*) AS n
       FROM achievement_unlocks
      WHERE unlocked_at >= $2 AND ($3::text IS NULL OR achievement_id = $3)
      GROUP BY 1, 2`,
    [zone, new Date(nowMs - (DAYS + 1) * DAY_MS), achievementId ?? null],
  );
  const days = lastDays(nowMs, zone);
  const counts = new Map(rows.map((row) => [`${row.achievement_id}/${row.day}`, Number(row.n)]));
  return (id: string): UnlocksPerDay =>
    days.map((day) => ({ day, unlocks: counts.get(`${id}/${day}`) ?? 0 }));
}

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
        // Clients holding it: a repeating achievement earned several times is held once.
        'SELECT count(DISTINCT client_id) AS n FROM achievement_unlocks WHERE achievement_id = $1',
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
        unlocksPerDay: (await unlocksPerDay(db, zone, nowMs(), achievementId))(achievementId),
        progress: counts.map((clients, i) => ({ from: i / BUCKETS, to: (i + 1) / BUCKETS, clients })),
      };
    },
    overview: async () => {
      const [holders, perDay] = await Promise.all([
        db.query<{ achievement_id: string; n: string }>(
          'SELECT achievement_id, count(DISTINCT client_id) AS n FROM achievement_unlocks GROUP BY 1',
        ),
        unlocksPerDay(db, zone, nowMs()),
      ]);
      const held = new Map(holders.rows.map((row) => [row.achievement_id, Number(row.n)]));
      return [...catalog().achievements.keys()].map((achievementId) => ({
        achievementId,
        unlocked: held.get(achievementId) ?? 0,
        unlocksPerDay: perDay(achievementId),
      }));
    },
    audit: (entry) => audit(db, entry, entry.action, entry.target, entry.reason),
    auditLog: async ({ limit, actorId, action, fromMs, toMs }) => {
      const { rows } = await db.query<Omit<AuditRow, 'at'> & { at: Date }>(
        `SELECT at, actor_id AS "actorId", actor_role AS "actorRole", action, target, reason,
                approved_by AS "approvedBy", proposal_id::text AS "proposalId"
           FROM audit_log
          WHERE ($2::text IS NULL OR actor_id = $2) AND ($3::text IS NULL OR starts_with(action, $3))
            AND ($4::timestamptz IS NULL OR at >= $4) AND ($5::timestamptz IS NULL OR at < $5)
          ORDER BY id DESC LIMIT $1`,
        [
          limit,
          actorId ?? null,
          action ?? null,
          fromMs === undefined ? null : new Date(fromMs),
          toMs === undefined ? null : new Date(toMs),
        ],
      );
      return rows.map((row) => ({ ...row, at: row.at.toISOString() }));
    },
  };
}
