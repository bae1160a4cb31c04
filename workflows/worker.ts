import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import { temporalConfig } from '../temporal.config.js';
import { logger } from '../platform/logger.js';
import { installTemporalRuntime } from './runtime.js';

const WORKFLOWS_PATH = fileURLToPath(new URL('./index.ts', import.meta.url));

/** Runs the reward worker; the returned function drains in-flight tasks and closes the connection. */
export async function startWorker(): Promise<() => Promise<void>> {
  installTemporalRuntime();
  const { address, namespace, taskQueues } = temporalConfig();
  const connection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection,
    namespace,
    taskQueue: taskQueues.rewards,
    workflowsPath: WORKFLOWS_PATH,
  });
  const log = logger('worker');
  const running = worker
    .run()
    .catch((error: unknown) => log.error({ err: error }, 'worker stopped on error'));
  log.info({ taskQueue: taskQueues.rewards, namespace }, 'Temporal worker polling');
  return async () => {
    worker.shutdown();
    await running;
    await connection.close();
  };
}
