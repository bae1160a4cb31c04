import type pg from 'pg';
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

/** What the app reads about one client: achievement progress and the loyalty account. */
export interface ClientReads {
  progressOf: (clientId: string) => Promise<ClientProgress>;
  /** The targeting segments the client belongs to. */
  segmentsOf: (clientId: string) => Promise<string[]>;
  loyaltyOf: (clientId: string) => Promise<Loyalty>;
}

/** The reads from PostgreSQL: the engine's stored progress, the ledger, the tier and the rewards. */
export function postgresReads(db: pg.Pool, catalog: () => Catalog): ClientReads {
  return {
    segmentsOf: async (clientId) => {
      const { rows } = await db.query<{ segment_id: string }>(
        'SELECT segment_id FROM segment_members WHERE client_id = $1 ORDER BY segment_id',
        [clientId],
      );
      return rows.map((row) => row.segment_id);
    },
    progressOf: async (clientId) => {
      const { rows } = await db.query<{ progress: ClientProgress }>(
        'SELECT progress FROM client_progress WHERE client_id = $1',
        [clientId],
      );
      return rows[0] ? upgradeProgress(rows[0].progress, catalog()) : initialProgress();
    },
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
