import { describe, expect, it } from 'vitest';
import { catalog, given, KYIV, purchase } from '../test/support/events.js';
import { decide } from './decide.js';

describe('decide: what needs storing', () => {
  const coffee = purchase({ categoryId: 5814, time: '2026-11-05T12:00:00+02:00' });
  const { progress } = given([coffee, purchase({ time: '2026-11-06T12:00:00+02:00' })]);

  it('leaves the progress as it was for a repeat, so the client has nothing to store', () => {
    expect(decide(progress, coffee, catalog, KYIV).progress).toBe(progress);
  });

  it('leaves it as it was for a record too late to count', () => {
    expect(decide(progress, purchase({ time: '2026-10-20T12:00:00+03:00' }), catalog, KYIV).progress).toBe(
      progress,
    );
  });

  it('stores the newer horizon of a record no rule counts', () => {
    const transfer = purchase({ kind: 'transfer', time: '2026-11-09T12:00:00+02:00' });
    const after = decide(progress, transfer, catalog, KYIV).progress;
    expect(after).not.toBe(progress);
    expect(after.transactionsHorizonMs).toBe(Date.parse('2026-11-09T12:00:00+02:00'));
  });
});
