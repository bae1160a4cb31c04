import { proxyActivities } from '@temporalio/workflow';
import type { RewardActivities } from './activities.js';

const { expireDuePoints } = proxyActivities<RewardActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '10 seconds', maximumInterval: '5 minutes' },
});

/** Run by the `loyalty-points-expiry` schedule: expires every grant past its date, as ledger entries. */
export async function expirePointsWorkflow(): Promise<number> {
  return expireDuePoints();
}
