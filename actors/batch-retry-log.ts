import { describeFailure } from '../platform/failures.js';
import { MergeWaiting, StalePartition } from './progress-store.js';

/** How a batch that failed is logged before it is tried again. */
export interface RetryLine {
  level: 'info' | 'error';
  message: string;
  /** The error itself, for a failure someone should look at (a fence needs no stack). */
  err?: unknown;
}

/**
 * A fence is expected, not a failure: another owner took the partition over in a rebalance, or a backfill's
 * merge moved its clients on, and the batch is simply read again from where the partition now stands; so is a
 * backfill's merge taking its turn. Only what should not happen (a dependency down, a deployment fault) is an
 * error.
 */
export function retryLine(error: unknown, waitMs: number): RetryLine {
  if (error instanceof StalePartition)
    return { level: 'info', message: `partition fenced: ${error.message}, in ${waitMs} ms` };
  if (error instanceof MergeWaiting)
    return { level: 'info', message: `${error.message}; again in ${waitMs} ms` };
  return {
    level: 'error',
    message: `batch failed (${describeFailure(error)}); retrying in ${waitMs} ms`,
    err: error,
  };
}
