import { setTimeout as sleep } from 'node:timers/promises';

export interface RetryOptions {
  /** Asked before every attempt and during every wait: true ends the retries with `undefined`. */
  shouldStop: () => boolean;
  /** Runs about once a second while waiting, e.g. to tell the consumer group this member is alive. */
  whileWaiting?: () => Promise<void>;
  /** Told of every failed attempt before its wait. */
  onFailure: (error: unknown, attempt: number, waitMs: number) => void;
  firstWaitMs?: number;
  maxWaitMs?: number;
}

/**
 * Runs `work` until it succeeds, waiting twice as long after each failure (up to `maxWaitMs`), and gives up
 * only when `shouldStop` says so. For failures that heal by themselves: a server restarting, a network cut.
 */
export async function retryWithBackoff<T>(
  work: () => Promise<T>,
  { shouldStop, whileWaiting, onFailure, firstWaitMs = 250, maxWaitMs = 30_000 }: RetryOptions,
): Promise<T | undefined> {
  for (let attempt = 1; !shouldStop(); attempt++) {
    try {
      return await work();
    } catch (error) {
      const waitMs = Math.min(maxWaitMs, firstWaitMs * 2 ** (attempt - 1));
      onFailure(error, attempt, waitMs);
      for (let waited = 0; waited < waitMs && !shouldStop(); waited += 1_000) {
        await sleep(Math.min(1_000, waitMs - waited));
        await whileWaiting?.();
      }
    }
  }
  return undefined;
}
