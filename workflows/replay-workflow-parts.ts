/** What the dry-run and backfill workflows share: their activities, their starting status, how they show. */
import { proxyActivities, setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import type { ReplayActivities } from './replay-activities.js';
import type { ReplayInput, ReplayStatus } from './replay-contract.js';
import { detailsOf, searchAttributesOf } from './replay-details.js';

/**
 * The replay activities on the workflow's own task queue. They heartbeat, so a worker that dies is noticed
 * within `heartbeatTimeoutMs` and the activity runs again elsewhere, from its partition's checkpoint. History
 * that retention deleted, or a version no longer live, are refusals no retry changes.
 */
export const replayActivities = (input: ReplayInput) =>
  proxyActivities<ReplayActivities>({
    startToCloseTimeout: '6 hours',
    heartbeatTimeout: input.heartbeatTimeoutMs,
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: '1 minute',
      nonRetryableErrorTypes: ['BeyondRetention', 'Superseded'],
    },
  });

export const startingStatus = (): ReplayStatus => ({
  phase: 'planning',
  paused: false,
  partitions: [],
  unlocksFound: 0,
  unlocksCorrected: 0,
  awarded: 0,
  pointsGranted: 0,
  cancelReason: null,
});

/** Shows the status in the Temporal UI: current details on the workflow's page, search attributes in its list. */
export function showStatus(title: string, status: ReplayStatus, signals: string) {
  setCurrentDetails(detailsOf(title, status, signals));
  upsertSearchAttributes(searchAttributesOf(status));
}
