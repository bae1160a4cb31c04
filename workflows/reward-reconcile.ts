import type { Client } from '@temporalio/client';
import type pg from 'pg';
import type { RewardActivities } from './activities.js';
import { rewardStatusQuery, type RewardInput } from './reward-contract.js';

export interface ReconcileDependencies {
  db: pg.Pool;
  temporal: Client;
  activities: Pick<RewardActivities, 'grantPoints' | 'recordReward'>;
}

/**
 * An unlock whose reward workflow already exists should find its grant in the ledger and its reward row. When
 * PostgreSQL holds neither or only one (restored from a backup taken before the workflow wrote them, or a
 * failover that lost the last writes), the workflow will not write them again: this writes its grant (the
 * same idempotency key, so never twice) and its current status once more, from what the workflow reports.
 * Answers whether anything was missing.
 */
export async function reconcileReward(deps: ReconcileDependencies, input: RewardInput): Promise<boolean> {
  const { rows } = await deps.db.query<{ whole: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM loyalty_ledger WHERE idempotency_key = $1)
        AND EXISTS (SELECT 1 FROM rewards WHERE reward_id = $2) AS whole`,
    [`grant:${input.rewardId}`, input.rewardId],
  );
  if (rows[0]!.whole) return false;
  const state = await deps.temporal.workflow.getHandle(input.workflowId).query(rewardStatusQuery);
  // Not granted yet: the workflow itself is about to.
  if (state.status === 'granting') return false;
  // The client's data was erased since the unlock: nothing is written for them.
  if (await deps.activities.grantPoints(input)) return false;
  await deps.activities.recordReward({ ...input, ...state });
  return true;
}
