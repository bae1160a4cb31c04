import { ScheduleAlreadyRunning, type Client } from '@temporalio/client';
import { expirePointsWorkflow } from './expiry.workflow.js';

export const EXPIRY_SCHEDULE_ID = 'loyalty-points-expiry';

/** Creates the hourly schedule that expires due points, once; visible and pausable in the Temporal UI. */
export async function ensureExpirySchedule(
  client: Client,
  taskQueue: string,
  scheduleId = EXPIRY_SCHEDULE_ID,
) {
  try {
    await client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: '1 hour' }] },
      action: {
        type: 'startWorkflow',
        workflowType: expirePointsWorkflow,
        taskQueue,
        workflowId: `${scheduleId}-run`,
      },
      policies: { overlap: 'SKIP' },
      memo: { purpose: 'Writes expiry ledger entries for loyalty points past their expiry date' },
    });
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
}
