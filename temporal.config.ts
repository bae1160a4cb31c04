import { config } from './platform/config.js';
import { temporalSecurity } from './platform/connection-security.js';

/** Task queues of the engine's Temporal worker; clients and the worker must agree on these names. */
export const TASK_QUEUES = Object.freeze({
  rewards: 'achievements-rewards',
  /** Dry runs and backfills: their workflows and replay activities. */
  replays: 'achievements-replays',
  /** The rewards of unlocks a backfill found, apart from live clients' rewards. */
  backfillRewards: 'achievements-rewards-backfill',
});

/** Where the Temporal frontend is, how the connection is secured, and which namespace the engine uses (CONTRACT §1). */
export function temporalConfig() {
  const { TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE } = config();
  return Object.freeze({
    address: TEMPORAL_ADDRESS,
    security: temporalSecurity(config()),
    namespace: TEMPORAL_NAMESPACE,
    taskQueues: TASK_QUEUES,
  });
}
