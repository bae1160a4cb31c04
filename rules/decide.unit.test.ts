import { describe, expect, it } from 'vitest';
import { catalog, given, KYIV, purchase } from '../test/support/events.js';
import type { InputEvent, Transaction } from './events.js';
import { decide } from './decide.js';

describe('decide: what needs storing', () => {
  const coffee = purchase({ categoryId: 5814, time: '2026-11-05T12:00:00+02:00' });
  const { progress } = given([coffee, purchase({ time: '2026-11-06T12:00:00+02:00' })]);

  it('leaves the progress as it was for a repeat, so the client has nothing to store', () => {
    expect(decide(progress, coffee, catalog, KYIV).progress).toBe(progress);
  });

  it('only remembers the id of a record too late to count, so that a copy dated anew counts for nothing', () => {
    const late = purchase({ time: '2026-10-20T12:00:00+03:00' });
    const after = decide(progress, late, catalog, KYIV).progress;
    expect({ ...after, seenTransactions: progress.seenTransactions }).toEqual(progress);
    expect(after.seenTransactions).toHaveLength(progress.seenTransactions!.length + 2);
  });

  it('stores the newer horizon of a record no rule counts', () => {
    const transfer = purchase({ kind: 'transfer', time: '2026-11-09T12:00:00+02:00' });
    const after = decide(progress, transfer, catalog, KYIV).progress;
    expect(after).not.toBe(progress);
    expect(after.transactionsHorizonMs).toBe(Date.parse('2026-11-09T12:00:00+02:00'));
  });
});

describe('decide: the same id counts once, whatever it carries (CONTRACT §2)', () => {
  /** A record under the id of `event`, carrying what it carried changed by `fields`. */
  const copyOf = (event: InputEvent, fields: Partial<Transaction>) =>
    purchase({ ...(event as { transaction: Transaction }).transaction, ...fields });
  const unlockedBy = (events: Parameters<typeof given>[0]) =>
    given(events)
      .unlocked.map((u) => u.achievementId)
      .sort();

  it('does not count a copy in UAH of a purchase first delivered in EUR', () => {
    const inEuros = purchase({
      id: 'p-dup',
      amount: 600_000,
      currency: 'EUR',
      time: '2026-11-05T12:00:00+02:00',
    });
    const inHryvnias = copyOf(inEuros, { currency: 'UAH' });
    expect(unlockedBy([inEuros, inHryvnias])).toEqual(['first-purchase']);
    expect(unlockedBy([inHryvnias])).toEqual(['big-spender-bronze', 'first-purchase']);
  });

  it('does not count a copy dated anew of a record that came too late to count', () => {
    const recent = purchase({ categoryId: 5411, time: '2026-11-20T12:00:00+02:00' });
    const late = purchase({ id: 'p-late', amount: 600_000, time: '2026-11-01T12:00:00+02:00' });
    const redated = copyOf(late, { time: '2026-11-20T13:00:00+02:00' });
    expect(unlockedBy([recent, late, redated])).toEqual(['first-purchase']);
  });

  it('moves no horizon for a copy dated later, so it makes nothing late', () => {
    const first = purchase({ id: 'p-1', time: '2026-11-05T12:00:00+02:00' });
    const { progress } = given([first]);
    const copy = copyOf(first, { time: '2026-11-30T12:00:00+02:00' });
    expect(decide(progress, copy, catalog, KYIV).progress).toBe(progress);
  });

  it('traces a copy as a repeat for every rule', () => {
    const first = purchase({ id: 'p-1', time: '2026-11-05T12:00:00+02:00' });
    const { progress } = given([first]);
    const copy = copyOf(first, { kind: 'transfer' });
    const outcomes = decide(progress, copy, catalog, KYIV, { trace: true }).outcomes!;
    expect(new Set(outcomes.map((o) => o.outcome))).toEqual(new Set(['repeat']));
  });

  it('forgets an id once the client’s newer records are dated more than 7 days after its arrival', () => {
    const first = purchase({
      id: 'p-old',
      amount: 600_000,
      currency: 'EUR',
      time: '2026-11-01T12:00:00+02:00',
    });
    const later = purchase({ time: '2026-11-10T12:00:00+02:00' });
    const { progress } = given([first, later]);
    expect(progress.seenTransactions).toHaveLength(2);
    const copy = copyOf(first, { currency: 'UAH', time: '2026-11-10T13:00:00+02:00' });
    expect(decide(progress, copy, catalog, KYIV).unlocked.map((u) => u.achievementId)).toEqual([
      'big-spender-bronze',
    ]);
  });
});
