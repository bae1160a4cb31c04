import { describe, expect, it } from 'vitest';
import { retryLine } from './batch-retry-log.js';
import { MergeWaiting, StalePartition } from './progress-store.js';

describe('retryLine', () => {
  it('logs a fence (another owner, or a backfill’s merge, moved the partition) at info, saying so', () => {
    expect(retryLine(new StalePartition('bank.transactions.v1', 4), 250)).toEqual({
      level: 'info',
      message:
        'partition fenced: bank.transactions.v1:4 moved on since it was read; it is read again from its checkpoint, in 250 ms',
    });
  });

  it('logs a backfill’s merge taking its turn at info, saying so', () => {
    expect(retryLine(new MergeWaiting('bank.transactions.v1', 4), 250)).toEqual({
      level: 'info',
      message:
        'a backfill waits to merge into bank.transactions.v1:4; its run is applied once the merge is done; again in 250 ms',
    });
  });

  it('logs a real failure at error, with the error', () => {
    const down = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    expect(retryLine(down, 500)).toEqual({
      level: 'error',
      message: 'batch failed (connect ECONNREFUSED 127.0.0.1:5432 (ECONNREFUSED)); retrying in 500 ms',
      err: down,
    });
  });
});
