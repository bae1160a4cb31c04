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
  /** How long failures may go on (from the first) before the last one is thrown in a `RetryBudgetSpent`. */
  budgetMs?: number;
}

/** Failures went on past the retry budget: the caller gives up, and the process is restarted clean. */
export class RetryBudgetSpent extends Error {
  constructor(
    readonly lastError: unknown,
    readonly failingForMs: number,
  ) {
    super(
      `still failing after ${Math.round(failingForMs / 1_000)} s: ${lastError instanceof Error ? lastError.message : String(lastError)}`,
      { cause: lastError },
    );
    this.name = 'RetryBudgetSpent';
  }
}

/**
 * Runs `work` until it succeeds, waiting twice as long after each failure (up to `maxWaitMs`), and gives up
 * when `shouldStop` says so, or, with a budget, by throwing once failures went on past it. For failures that
 * heal by themselves: a server restarting, a network cut.
 */
export async function retryWithBackoff<T>(
  work: () => Promise<T>,
  { shouldStop, whileWaiting, onFailure, firstWaitMs = 250, maxWaitMs = 30_000, budgetMs }: RetryOptions,
): Promise<T | undefined> {
  let failingSince: number | undefined;
  for (let attempt = 1; !shouldStop(); attempt++) {
    try {
      return await work();
    } catch (error) {
      failingSince ??= Date.now();
      const failingForMs = Date.now() - failingSince;
      if (budgetMs !== undefined && failingForMs > budgetMs) throw new RetryBudgetSpent(error, failingForMs);
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
