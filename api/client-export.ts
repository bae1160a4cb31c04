import type pg from 'pg';
import type { Catalog } from '../rules/catalog.js';
import { viewOf } from '../rules/progress-view.js';
import type { ClientProgress } from '../rules/progress.js';
import { upgradeProgress } from '../rules/progress-upgrade.js';
import { inSnapshot } from '../platform/postgres.js';

/** Everything the engine holds about one client (CONTRACT §7), as the export route answers it. */
export interface ClientExport {
  clientId: string;
  exportedAt: string;
  /** Set when the client was erased before: what is below was gathered since. */
  erasedAt: string | null;
  achievements: {
    achievementId: string;
    unlocked: boolean;
    unlockedAt: string | null;
    progress: { current: number; target: number };
  }[];
  /** The stored progress as the engine keeps it (event ids and values are hashed in it). */
  progress: { version: number; state: ClientProgress } | null;
  unlocks: Record<string, unknown>[];
  ledger: Record<string, unknown>[];
  balance: number;
  tier: { tier: string; earned12m: number; updatedAt: string } | null;
  tierChanges: Record<string, unknown>[];
  rewards: Record<string, unknown>[];
  segments: { segmentId: string; addedAt: string }[];
  /** Records of the client's the engine set aside (too large to copy whole into the DLQ), without their bytes. */
  deadLetters: Record<string, unknown>[];
  /** Who read or changed the client's data, when and why. */
  audit: Record<string, unknown>[];
}

const iso = (value: unknown) => (value instanceof Date ? value.toISOString() : value);
const plain = (rows: Record<string, unknown>[]) =>
  rows.map((row) => Object.fromEntries(Object.entries(row).map(([key, value]) => [key, iso(value)])));

/** Gathers the export in one snapshot (a repeatable-read transaction), so its parts agree with each other. */
export async function exportClient(
  db: pg.Pool,
  clientId: string,
  catalog: Catalog,
  zone: string,
  nowMs: number,
): Promise<ClientExport> {
  return inSnapshot(db, async (client) => {
    const all = (sql: string) => client.query<Record<string, unknown>>(sql, [clientId]).then((r) => r.rows);
    const erased = await all('SELECT erased_at FROM erased_clients WHERE client_id = $1');
    const stored = await all('SELECT version, progress FROM client_progress WHERE client_id = $1');
    const progress = stored[0]
      ? {
          version: Number(stored[0].version),
          state: upgradeProgress(stored[0].progress as ClientProgress, catalog),
        }
      : null;
    const unlocks = await all(
      `SELECT unlock_id AS "unlockId", achievement_id AS "achievementId", rule_id AS "ruleId",
              rule_version AS "ruleVersion", points, partner_id AS "partnerId", unlocked_at AS "unlockedAt",
              source_event_id AS "sourceEventId", recorded_at AS "recordedAt"
         FROM achievement_unlocks WHERE client_id = $1 ORDER BY unlocked_at`,
    );
    const ledger = await all(
      `SELECT kind, points, reference, occurred_at AS "occurredAt", expires_at AS "expiresAt"
         FROM loyalty_ledger WHERE client_id = $1 ORDER BY id`,
    );
    const tiers = await all(
      `SELECT tier, earned_12m AS "earned12m", updated_at AS "updatedAt" FROM loyalty_tiers WHERE client_id = $1`,
    );
    const tierChanges = await all(
      `SELECT from_tier AS "fromTier", to_tier AS "toTier", earned_12m AS "earned12m", changed_at AS "changedAt"
         FROM loyalty_tier_changes WHERE client_id = $1 ORDER BY id`,
    );
    const rewards = await all(
      `SELECT reward_id AS "rewardId", achievement_id AS "achievementId", points, partner_id AS "partnerId",
              status, voucher_code AS "voucherCode", reason, updated_at AS "updatedAt"
         FROM rewards WHERE client_id = $1 ORDER BY updated_at`,
    );
    const segments = await all(
      `SELECT segment_id AS "segmentId", added_at AS "addedAt" FROM segment_members WHERE client_id = $1
        ORDER BY segment_id`,
    );
    // Every dead letter is indexed since migration 0008; originals kept before it are read from their table.
    const deadLetters = await all(
      `SELECT topic, partition, "offset"::text AS "offset", error, record, dead_at AS "deadAt"
           FROM dead_letters WHERE key = convert_to($1, 'UTF8')
         UNION ALL
         SELECT topic, partition, "offset"::text, error, NULL, kept_at
           FROM dead_letter_records k WHERE key = convert_to($1, 'UTF8')
            AND NOT EXISTS (SELECT 1 FROM dead_letters d
                             WHERE (d.topic, d.partition, d."offset") = (k.topic, k.partition, k."offset"))
         ORDER BY 6`,
    );
    const audit = await all(
      `SELECT at, actor_id AS "actorId", actor_role AS "actorRole", action, target, reason FROM audit_log
        WHERE target = $1 OR starts_with(target, $1 || '/') ORDER BY id`,
    );
    const state = progress?.state;
    // Every achievement the client has reached or begun, of every rule ever live.
    const achievements = state
      ? [...catalog.achievements.values()]
          .map((achievement) => viewOf(achievement, state, nowMs, zone))
          .filter((view) => view.unlocked || view.progress.current > 0)
          .map(({ id, ...view }) => ({ achievementId: id, ...view }))
      : [];
    return {
      clientId,
      exportedAt: new Date(nowMs).toISOString(),
      erasedAt: (iso(erased[0]?.erased_at) as string | undefined) ?? null,
      achievements,
      progress,
      unlocks: plain(unlocks),
      ledger: plain(ledger),
      balance: ledger.reduce((sum, row) => sum + Number(row.points), 0),
      tier: (plain(tiers)[0] as ClientExport['tier'] | undefined) ?? null,
      tierChanges: plain(tierChanges),
      rewards: plain(rewards),
      segments: plain(segments) as ClientExport['segments'],
      deadLetters: plain(deadLetters),
      audit: plain(audit),
    };
  });
}
