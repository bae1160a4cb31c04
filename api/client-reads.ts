import type pg from 'pg';
import type { RefusedUnlock } from '../rules/budget-view.js';
import type { Catalog } from '../rules/catalog.js';
import { initialProgress, type ClientProgress } from '../rules/progress.js';
import { upgradeProgress } from '../rules/progress-upgrade.js';
import { balanceOf } from '../workflows/ledger.js';

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
 * The reads from PostgreSQL: the engine's stored progress (alone too, for explanations), the ledger, the tier and
 * the rewards.
 */
export function postgresReads(
  db: pg.Pool,
  catalog: () => Catalog,
): ClientReads & { progressOf: (clientId: string) => Promise<ClientProgress> } {
  const achievementsOf: ClientReads['achievementsOf'] = async (clientId) => {
    // One round trip, not two: on the app's busiest read, each query's network writes and waits cost more
    // than the query itself (profiled).
    const { rows } = await db.query<{
      progress: ClientProgress | null;
      segments: string[];
      refused: RefusedUnlock[];
    }>(
      // Progress stored ahead with an unlock (migration 0017) while newer than the partition's checkpoint.
      `SELECT coalesce((SELECT a.progress FROM client_progress_ahead a
                         WHERE a.client_id = $1
                           AND a.version > coalesce((SELECT version FROM client_progress WHERE client_id = $1), 0)),
                       (SELECT progress FROM client_progress WHERE client_id = $1)) AS progress,
              ARRAY(SELECT segment_id FROM segment_members WHERE client_id = $1 ORDER BY segment_id) AS segments,
              (SELECT coalesce(json_agg(json_build_object('achievementId', achievement_id, 'occurrence', occurrence,
                                                          'refusedAt', decided_at)), '[]')
                 FROM budget_spends WHERE client_id = $1 AND NOT granted) AS refused`,
      [clientId],
    );
    const { progress, segments, refused } = rows[0]!;
    return {
      progress: progress ? upgradeProgress(progress, catalog()) : initialProgress(),
      segments,
      refused: refused.map((unlock) => ({ ...unlock, refusedAt: new Date(unlock.refusedAt).toISOString() })),
    };
  };
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
