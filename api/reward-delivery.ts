import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type pg from 'pg';
import type { PartnerEndpoint } from '../platform/config.js';
import { partnerCallbackSignal } from '../workflows/reward-contract.js';
import type { PartnerCallbackDependencies } from './partner-callbacks.js';

/** The partner callback route's real dependencies: rewards in PostgreSQL, results signalled to Temporal. */
export function rewardDelivery(
  db: pg.Pool,
  temporal: Client,
  partners: ReadonlyMap<string, PartnerEndpoint>,
): PartnerCallbackDependencies {
  return {
    partners,
    rewardPartner: async (rewardId) => {
      const { rows } = await db.query<{ partner_id: string | null }>(
        'SELECT partner_id FROM rewards WHERE reward_id = $1',
        [rewardId],
      );
      return rows[0]?.partner_id;
    },
    deliver: async (rewardId, callback) => {
      try {
        await temporal.workflow.getHandle(rewardId).signal(partnerCallbackSignal, callback);
      } catch (error) {
        // The workflow has finished: it already has its result (or timed out), so a repeat changes nothing.
        if (!(error instanceof WorkflowNotFoundError)) throw error;
      }
    },
  };
}
