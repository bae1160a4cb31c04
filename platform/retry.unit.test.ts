import { describe, expect, it } from 'vitest';
import { retryWithBackoff, RetryBudgetSpent } from './retry.js';

describe('retryWithBackoff', () => {
  it('retries a failing call, doubling its waits, until it succeeds', async () => {
    const waits: number[] = [];
    let calls = 0;
    const result = await retryWithBackoff(
      () => (++calls < 4 ? Promise.reject(new Error('down')) : Promise.resolve('done')),
      { shouldStop: () => false, onFailure: (_e, _a, waitMs) => waits.push(waitMs), firstWaitMs: 1 },
    );
    expect(result).toBe('done');
    expect(waits).toEqual([1, 2, 4]);
  });

  it('caps the wait and gives up only when told to stop, keeping the caller alive', async () => {
    const waits: number[] = [];
    let heartbeats = 0;
    const result = await retryWithBackoff(() => Promise.reject(new Error('down')), {
      shouldStop: () => waits.length >= 5,
      whileWaiting: () => Promise.resolve(void heartbeats++),
      onFailure: (_e, _a, waitMs) => waits.push(waitMs),
      firstWaitMs: 1,
      maxWaitMs: 4,
    });
    expect(result).toBeUndefined();
    expect(waits).toEqual([1, 2, 4, 4, 4]);
    expect(heartbeats).toBe(4);
  });

  it('throws the last failure once failures went on past the budget', async () => {
    let calls = 0;
    const failing = retryWithBackoff(() => Promise.reject(new Error(`down ${++calls}`)), {
      shouldStop: () => false,
      onFailure: () => undefined,
      firstWaitMs: 20,
      maxWaitMs: 20,
      budgetMs: 100,
    });
    const thrown = await failing.catch((error: unknown) => error);
    expect(thrown).toBeInstanceOf(RetryBudgetSpent);
    expect((thrown as RetryBudgetSpent).lastError).toEqual(new Error(`down ${calls}`));
    expect((thrown as RetryBudgetSpent).failingForMs).toBeGreaterThan(100);
  });
});
