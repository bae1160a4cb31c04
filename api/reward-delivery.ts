import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type pg from 'pg';
import { partnerCallbackSignal } from '../workflows/reward-contract.js';
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
      const { rows } = await db.query<{ partner_id: string | null; workflow_id: string }>(
        'SELECT partner_id, workflow_id FROM rewards WHERE reward_id = $1',
        [rewardId],
      );
      return rows[0] && { partnerId: rows[0].partner_id, workflowId: rows[0].workflow_id };
    },
    deliver: async (workflowId, callback) => {
      try {
        await temporal.workflow.getHandle(workflowId).signal(partnerCallbackSignal, callback);
      } catch (error) {
        // The workflow has finished: it already has its result (or timed out), so a repeat changes nothing.
        if (!(error instanceof WorkflowNotFoundError)) throw error;
      }
    },
  };
}
