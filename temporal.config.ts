import { config } from './platform/config.js';
import { temporalSecurity } from './platform/connection-security.js';

/** Task queues of the engine's Temporal worker after a prefix; clients and the worker must agree on these names. */
export function taskQueuesOf(prefix = 'achievements') {
  return Object.freeze({
    rewards: `${prefix}-rewards`,
    /** Dry runs and backfills: their workflows and replay activities. */
    replays: `${prefix}-replays`,
    /** The rewards of unlocks a backfill found, apart from live clients' rewards. */
    backfillRewards: `${prefix}-rewards-backfill`,
  });
}

/**
 * Where the Temporal frontend is, how the connection is secured, which namespace the engine uses (CONTRACT §1)
 * and its task queues (TEMPORAL_TASK_QUEUE_PREFIX).
 */
export function temporalConfig() {
  const { TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TASK_QUEUE_PREFIX } = config();
  return Object.freeze({
    address: TEMPORAL_ADDRESS,
    security: temporalSecurity(config()),
    namespace: TEMPORAL_NAMESPACE,
    taskQueues: taskQueuesOf(TEMPORAL_TASK_QUEUE_PREFIX),
  });
}
