import { describe, expect, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import { failureOf, rethrownFrom, threadFor } from './replay-threads.js';

describe('which thread takes a partition’s work', () => {
  const threads = [{ busy: 1 }, { busy: 0 }, { busy: 0 }];

  it('is the one holding its state, busy or not: a state is held once', () => {
    expect(threadFor(threads, threads[2])).toBe(threads[2]);
    expect(threadFor(threads, threads[0])).toBe(threads[0]);
  });

  it('is the least busy one for a partition new to the worker (the first of equals)', () => {
    expect(threadFor(threads, undefined)).toBe(threads[1]);
    expect(threadFor([{ busy: 2 }, { busy: 1 }], undefined)).toEqual({ busy: 1 });
  });
});

describe('a failure a thread threw, thrown again on the role’s thread', () => {
  const roundTrip = (error: unknown) => rethrownFrom(structuredClone(failureOf(error)));

  it('is an ApplicationFailure of its type, retryable or not, as it was thrown', () => {
    const again = roundTrip(ApplicationFailure.nonRetryable('version 2 is no longer live', 'NotLive'));
    expect(again).toBeInstanceOf(ApplicationFailure);
    expect(again).toMatchObject({
      message: 'version 2 is no longer live',
      type: 'NotLive',
      nonRetryable: true,
    });
    expect(roundTrip(ApplicationFailure.retryable('try again'))).toMatchObject({ nonRetryable: false });
  });

  it('is an error of its name and message otherwise', () => {
    const stale = Object.assign(new Error('partition 3 moved on'), { name: 'StaleReplay' });
    const again = roundTrip(stale);
    expect(again).not.toBeInstanceOf(ApplicationFailure);
    expect(again).toMatchObject({ name: 'StaleReplay', message: 'partition 3 moved on' });
    expect(roundTrip('not an error')).toMatchObject({ name: 'Error', message: 'not an error' });
  });
});
