import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type pg from 'pg';
import { partnerCallbackSignal, type RewardStatus } from '../workflows/reward-contract.js';
import type { PartnerCallbackDependencies } from './partner-callbacks.js';

/** The partner callback route's real dependencies: rewards in PostgreSQL, results signalled to Temporal. */
export function rewardDelivery(
  db: pg.Pool,
  temporal: Client,
  partners: PartnerCallbackDependencies['partners'],
): PartnerCallbackDependencies {
  return {
    partners,
    findReward: async (rewardId) => {
      const { rows } = await db.query<{ partnerId: string | null; workflowId: string; status: RewardStatus }>(
        'SELECT partner_id AS "partnerId", workflow_id AS "workflowId", status FROM rewards WHERE reward_id = $1',
        [rewardId],
      );
      return rows[0];
    },
    deliver: async (workflowId, callback) => {
      try {
        await temporal.workflow.getHandle(workflowId).signal(partnerCallbackSignal, callback);
        return true;
      } catch (error) {
        // The workflow has ended; the reward's stored status says whether it had its answer.
        if (error instanceof WorkflowNotFoundError) return false;
        throw error;
      }
    },
  };
}
