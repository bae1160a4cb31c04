import { NativeConnection, Worker } from '@temporalio/worker';
import type { PartnerLimits } from '../platform/partner-config.js';
import { logger } from '../platform/logger.js';
import type { RewardActivities } from './activities.js';
import { workflowSource } from './bundle.js';
import type { PartnerActivities } from './partner-activities.js';
import type { ReplayActivities } from './replay-activities.js';
import { partnerTaskQueue } from './reward-contract.js';
import { installTemporalRuntime } from './runtime.js';
import type { TemporalSecurity } from '../platform/connection-security.js';

export interface WorkerOptions {
  address: string;
  /** TLS, mTLS or an API key for the connection, as configured; none for the local stack. */
  security?: TemporalSecurity;
  namespace: string;
  taskQueue: string;
  activities: RewardActivities;
  partnerActivities: PartnerActivities;
  /** Every partner rewards may ask, each with its bounds. */
  partners: PartnerLimits[];
  /** Load the prebuilt bundle (production) instead of bundling the source at start. */
  prebuilt: boolean;
  /** Dry runs and backfills, and the rewards backfills start, each on a task queue of their own. */
  replays?: {
    taskQueue: string;
    rewardTaskQueue: string;
    activities: ReplayActivities;
    /** How many partitions this worker replays at once. */
    concurrency: number;
  };
  /** Told when a worker stops on an error (its `run()` rejected): a deployment ends the process (main.ts). */
  onFailure?: (error: Error) => void;
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

/** A reward workflow worker on `taskQueue` with the partner workers beside it. */
async function rewardWorkers(
  connection: NativeConnection,
  options: WorkerOptions,
  source: Awaited<ReturnType<typeof workflowSource>>,
  taskQueue: string,
): Promise<Worker[]> {
  const { namespace } = options;
  const rewards = await Worker.create({
    connection,
    namespace,
    taskQueue,
    ...source,
    activities: options.activities,
    // Sized for the grant path, whose workflow tasks are short and whose ledger writes are local activities:
    // the server's round trips, not this worker's CPU, bound a burst of rewards (the SDK's guidance: pollers
    // about half the task slots), beyond the defaults of 40 slots and 10 pollers.
    maxConcurrentWorkflowTaskExecutions: 120,
    maxConcurrentWorkflowTaskPolls: 60,
    maxConcurrentLocalActivityExecutions: 120,
  });
  const partners = await createPartnerWorkers(
    connection,
    namespace,
    taskQueue,
    options.partnerActivities,
    options.partners,
  );
  return [rewards, ...partners];
}

/**
 * Runs the reward worker and the partner workers, and, when asked, the replay worker and the workers of the
 * rewards backfills start (their own queues, so live clients' rewards never wait behind a backfill's); the
 * returned function drains them all and closes the connection.
 */
export async function startWorker(options: WorkerOptions): Promise<() => Promise<void>> {
  installTemporalRuntime();
  const connection = await NativeConnection.connect({ address: options.address, ...options.security });
  const source = await workflowSource(options.prebuilt);
  const workers = await rewardWorkers(connection, options, source, options.taskQueue);
  if (options.replays) {
    const { taskQueue, rewardTaskQueue, activities, concurrency } = options.replays;
    workers.push(
      await Worker.create({
        connection,
        namespace: options.namespace,
        taskQueue,
        ...source,
        activities,
        maxConcurrentActivityTaskExecutions: concurrency,
      }),
      ...(await rewardWorkers(connection, options, source, rewardTaskQueue)),
    );
  }
  const log = logger('worker');
  const running = Promise.all(
    workers.map((worker) =>
      worker.run().catch((error: unknown) => {
        log.error({ err: error, taskQueue: worker.options.taskQueue }, 'worker stopped on error');
        options.onFailure?.(error instanceof Error ? error : new Error(String(error)));
      }),
    ),
  );
  log.info(
    {
      taskQueue: options.taskQueue,
      namespace: options.namespace,
      partners: options.partners.map(({ id, concurrency, perSecond }) => ({ id, concurrency, perSecond })),
    },
    'Temporal workers polling',
  );
  return async () => {
    // A worker that already stopped on its own (failed) refuses to be shut down again: only running ones are.
    for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
    await connection.close();
  };
}
