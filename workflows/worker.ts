import { NativeConnection, Worker } from '@temporalio/worker';
import type { PartnerLimits } from '../platform/config.js';
import { logger } from '../platform/logger.js';
import type { RewardActivities } from './activities.js';
import { workflowSource } from './bundle.js';
import type { PartnerActivities } from './partner-activities.js';
import { partnerTaskQueue } from './reward-contract.js';
import { installTemporalRuntime } from './runtime.js';

export interface WorkerOptions {
  address: string;
  namespace: string;
  taskQueue: string;
  activities: RewardActivities;
  partnerActivities: PartnerActivities;
  /** Every partner rewards may ask, each with its bounds. */
  partners: PartnerLimits[];
  /** Load the prebuilt bundle (production) instead of bundling the source at start. */
  prebuilt: boolean;
}

/**
 * One activity worker per partner, on the partner's own task queue: at most `concurrency` of its requests
 * at once in this process and `perSecond` across every worker (the server enforces that one), so a slow or
 * dead partner uses up only its own share.
 */
export function createPartnerWorkers(
  connection: NativeConnection,
  namespace: string,
  rewardTaskQueue: string,
  activities: PartnerActivities,
  partners: PartnerLimits[],
): Promise<Worker[]> {
  return Promise.all(
    partners.map((partner) =>
      Worker.create({
        connection,
        namespace,
        taskQueue: partnerTaskQueue(rewardTaskQueue, partner.id),
        activities,
        maxConcurrentActivityTaskExecutions: partner.concurrency,
        maxTaskQueueActivitiesPerSecond: partner.perSecond,
      }),
    ),
  );
}

/** Runs the reward worker and the partner workers; the returned function drains them and closes the connection. */
export async function startWorker(options: WorkerOptions): Promise<() => Promise<void>> {
  installTemporalRuntime();
  const connection = await NativeConnection.connect({ address: options.address });
  const rewards = await Worker.create({
    connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...workflowSource(options.prebuilt),
    activities: options.activities,
  });
  const partnerWorkers = await createPartnerWorkers(
    connection,
    options.namespace,
    options.taskQueue,
    options.partnerActivities,
    options.partners,
  );
  const workers = [rewards, ...partnerWorkers];
  const log = logger('worker');
  const running = Promise.all(
    workers.map((worker) =>
      worker.run().catch((error: unknown) => log.error({ err: error }, 'worker stopped on error')),
    ),
  );
  log.info(
    { taskQueue: options.taskQueue, namespace: options.namespace, partners: options.partners },
    'Temporal workers polling',
  );
  return async () => {
    for (const worker of workers) worker.shutdown();
    await running;
    await connection.close();
  };
}
