import type pg from 'pg';
import type { RefusedUnlock } from '../rules/budget-view.js';
import type { Catalog } from '../rules/catalog.js';
import { initialProgress, type ClientProgress } from '../rules/progress.js';
import { upgradeProgress } from '../rules/progress-upgrade.js';
import { withStoredUnlocks, type StoredUnlock } from '../rules/stored-unlocks.js';
import { balanceOf } from '../workflows/ledger.js';
import { batchedReads } from './batched-reads.js';

export interface Loyalty {
  points: number;
  tier: string;
  rewards: {
    rewardId: string;
    achievementId: string;
    points: number;
    status: string;
    partnerId: string | null;
    voucherCode: string | null;
  }[];
}

/**
 * What the achievements page is made of: the client's progress, the targeting segments they belong to, and the
 * unlocks a rule's budget refused them.
 */
export interface ClientAchievements {
  progress: ClientProgress;
  segments: string[];
  refused?: RefusedUnlock[];
}

/** What the app reads about one client: achievement progress and the loyalty account. */
export interface ClientReads {
  achievementsOf: (clientId: string) => Promise<ClientAchievements>;
  loyaltyOf: (clientId: string) => Promise<Loyalty>;
}

/**
 * Clients read in one query at most: enough for every request a replica has in flight under load, few enough
 * that one query stays a few milliseconds.
 */
const MAX_CLIENTS_PER_READ = 128;

/** What one query answers of a client: the columns `achievementsOfMany` makes a `ClientAchievements` of. */
interface AchievementsRow {
  client_id: string;
  progress: ClientProgress | null;
  unlocks: StoredUnlock[];
  segments: string[];
  refused: RefusedUnlock[];
}

const isoTime = (time: string) => new Date(time).toISOString();

/**
 * The achievements of many clients in one round trip: each one's progress with the unlocks stored since its last
 * checkpoint, segments and refused unlocks as the app shows them, clients with nothing stored included.
 */
async function achievementsOfMany(
  db: pg.Pool,
  catalog: () => Catalog,
  clientIds: readonly string[],
): Promise<Map<string, ClientAchievements>> {
  const { rows } = await db.query<AchievementsRow>(
    // Each table is looked up by client in a subquery, not joined: a lookup is an index probe whatever the
    // statistics say, where a join was planned as a scan of a whole index emptied by deletions, 100 ms a batch
    // (seen in the benchmark). Lists in a fixed order, so a client's answer (and its ETag) does not depend on
    // the plan.
    `SELECT ids.client_id,
            (SELECT p.progress FROM client_progress p WHERE p.client_id = ids.client_id) AS progress,
            (SELECT coalesce(json_agg(json_build_object('achievementId', u.achievement_id,
                                                        'occurrence', u.occurrence, 'at', u.unlocked_at,
                                                        'sourceEventId', u.source_event_id)
                                      ORDER BY u.unlocked_at, u.achievement_id, u.occurrence), '[]')
               FROM achievement_unlocks u WHERE u.client_id = ids.client_id) AS unlocks,
            ARRAY(SELECT s.segment_id FROM segment_members s
                   WHERE s.client_id = ids.client_id ORDER BY s.segment_id) AS segments,
            (SELECT coalesce(json_agg(json_build_object('achievementId', b.achievement_id,
                                                        'occurrence', b.occurrence, 'refusedAt', b.decided_at)
                                      ORDER BY b.decided_at, b.unlock_id), '[]')
               FROM budget_spends b WHERE b.client_id = ids.client_id AND NOT b.granted) AS refused
       FROM unnest($1::text[]) AS ids (client_id)`,
    [clientIds],
  );
  const book = catalog();
  return new Map(
    rows.map(({ client_id, progress, unlocks, segments, refused }) => [
      client_id,
      {
        progress: withStoredUnlocks(
          progress ? upgradeProgress(progress, book) : initialProgress(),
          unlocks.map((unlock) => ({ ...unlock, at: isoTime(unlock.at) })),
        ),
        segments,
        refused: refused.map((unlock) => ({ ...unlock, refusedAt: isoTime(unlock.refusedAt) })),
      },
    ]),
  );
}

/**
 * The reads from PostgreSQL: the engine's stored progress (alone too, for explanations), the ledger, the tier and
 * the rewards.
 */
export function postgresReads(
  db: pg.Pool,
  catalog: () => Catalog,
): ClientReads & { progressOf: (clientId: string) => Promise<ClientProgress> } {
  // Under load, clients read at the same time (each one's first read, before the cache keeps it) share one query:
  // one round trip per batch instead of one per client, which had the cold reads queue behind each other.
  const achievementsOf = batchedReads(
    (clientIds: readonly string[]) => achievementsOfMany(db, catalog, clientIds),
    MAX_CLIENTS_PER_READ,
  );
  return {
    achievementsOf,
    progressOf: async (clientId) => (await achievementsOf(clientId)).progress,
    loyaltyOf: async (clientId) => {
      const [points, tier, rewards] = await Promise.all([
        balanceOf(db, clientId),
        db.query<{ tier: string }>('SELECT tier FROM loyalty_tiers WHERE client_id = $1', [clientId]),
        db.query<Loyalty['rewards'][number]>(
          `SELECT reward_id AS "rewardId", achievement_id AS "achievementId", points, status,
                  partner_id AS "partnerId", voucher_code AS "voucherCode"
             FROM rewards WHERE client_id = $1 ORDER BY updated_at DESC`,
          [clientId],
        ),
      ]);
      return { points, tier: tier.rows[0]?.tier ?? 'bronze', rewards: rewards.rows };
    },
  };
}
