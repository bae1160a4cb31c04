import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';
import { logger } from '../platform/logger.js';

const levels = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;
let installed = false;

/**
 * Installs the Temporal runtime once per process: its logs go to the structured logger, and it leaves
 * SIGINT/SIGTERM to the engine's own shutdown, which drains the worker in order with the other roles.
 */
export function installTemporalRuntime() {
  if (installed) return;
  const log = logger('temporal');
  const forward = ({ level, message, meta }: LogEntry) => log[levels[level]](meta ?? {}, message);
  Runtime.install({ logger: new DefaultLogger('INFO', forward), shutdownSignals: [] });
  installed = true;
}
