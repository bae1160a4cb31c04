import { NativeConnection, Worker } from '@temporalio/worker';
import { logger } from '../platform/logger.js';
import type { RewardActivities } from './activities.js';
import { workflowSource } from './bundle.js';
import { installTemporalRuntime } from './runtime.js';

export interface WorkerOptions {
  address: string;
  namespace: string;
  taskQueue: string;
  activities: RewardActivities;
  /** Load the prebuilt bundle (production) instead of bundling the source at start. */
  prebuilt: boolean;
}

/** Runs the reward worker; the returned function drains in-flight tasks and closes the connection. */
export async function startWorker(options: WorkerOptions): Promise<() => Promise<void>> {
  installTemporalRuntime();
  const connection = await NativeConnection.connect({ address: options.address });
  const worker = await Worker.create({
    connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...workflowSource(options.prebuilt),
    activities: options.activities,
  });
  const log = logger('worker');
  const running = worker
    .run()
    .catch((error: unknown) => log.error({ err: error }, 'worker stopped on error'));
  log.info({ taskQueue: options.taskQueue, namespace: options.namespace }, 'Temporal worker polling');
  return async () => {
    worker.shutdown();
    await running;
    await connection.close();
  };
}
