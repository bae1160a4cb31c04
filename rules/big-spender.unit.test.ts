import { describe, expect, it } from 'vitest';
import { given, purchase, refund } from '../test/support/events.js';

const bigSpender = (ids: string[]) => ids.filter((id) => id.startsWith('big-spender'));
const spend = (uah: number, time = '2026-11-10T12:00:00+02:00', fields = {}) =>
  purchase({ amount: uah * 100, time, ...fields });

describe('big-spender bronze, silver and gold: UAH spent in one calendar month', () => {
  it('given 4 999.99 UAH, when 0.01 UAH more arrives, then bronze unlocks exactly at 5 000.00', () => {
    const history = [spend(4999), purchase({ amount: 99, time: '2026-11-10T12:00:00+02:00' })];
    expect(
      bigSpender(given(history).when(purchase({ amount: 1, time: '2026-11-11T12:00:00+02:00' }))),
    ).toEqual(['big-spender-bronze']);
  });

  it('given nothing, when one 50 000 UAH purchase arrives, then all three levels unlock at once', () => {
    expect(bigSpender(given([]).when(spend(50_000)))).toEqual([
      'big-spender-bronze',
      'big-spender-silver',
      'big-spender-gold',
    ]);
  });

  it('given bronze, when silver is reached, then only silver unlocks', () => {
    expect(given([spend(5_000)]).when(spend(15_000))).toEqual(['big-spender-silver']);
  });

  it('counts only UAH', () => {
    expect(given([spend(4_000)]).when(spend(2_000, undefined, { currency: 'EUR' }))).toEqual([]);
  });

  it('does not carry spending across months', () => {
    expect(
      given([spend(4_000, '2026-10-31T20:00:00+02:00')]).when(spend(1_000, '2026-11-01T09:00:00+02:00')),
    ).toEqual([]);
  });

  it('given bronze and 19 000 UAH, when a 2 000 UAH purchase is refunded and 1 500 UAH spent, then silver stays locked', () => {
    const big = spend(2_000);
    const history = [spend(17_000), big, refund(big, '2026-11-12T12:00:00+02:00')];
    expect(given(history).when(spend(1_500))).toEqual([]);
    expect(bigSpender(given(history).unlocked.map((u) => u.achievementId))).toEqual(['big-spender-bronze']);
  });

  it('given 4 000 UAH, when the same purchase is delivered again, then it counts once', () => {
    const first = spend(4_000);
    expect(given([first]).when(first)).toEqual([]);
  });

  it('forgets the month once gold is unlocked', () => {
    expect(given([spend(50_000)]).progress.rules['big-spender']).toBeUndefined();
  });

  it('given a refunded 4 000 UAH purchase delivered again, when 1 000 UAH more arrives, then bronze stays locked', () => {
    const first = spend(4_000);
    const history = [first, refund(first, '2026-11-10T13:00:00+02:00'), first];
    expect(bigSpender(given(history).when(spend(1_000, '2026-11-11T12:00:00+02:00')))).toEqual([]);
  });

  it('given 4 000 UAH of which 1 UAH was refunded, then 1 000 UAH more is 4 999 UAH and 1 001 UAH is bronze', () => {
    const first = spend(4_000);
    const history = [first, refund(first, '2026-11-10T13:00:00+02:00', 100)];
    expect(bigSpender(given(history).when(spend(1_000, '2026-11-11T12:00:00+02:00')))).toEqual([]);
    expect(bigSpender(given(history).when(spend(1_001, '2026-11-11T12:00:00+02:00')))).toEqual([
      'big-spender-bronze',
    ]);
  });

  it('adds up several partial refunds of one purchase, and never takes back more than it cost', () => {
    const first = spend(4_000);
    const refunds = [
      refund(first, '2026-11-10T13:00:00+02:00', 100_000),
      refund(first, '2026-11-10T14:00:00+02:00', 900_000),
    ];
    // 1 000 + 9 000 UAH of refunds cover the 4 000 UAH purchase entirely: nothing of it is left, and no more.
    expect(bigSpender(given([first, ...refunds]).when(spend(4_999, '2026-11-11T12:00:00+02:00')))).toEqual(
      [],
    );
    expect(bigSpender(given([first, ...refunds]).when(spend(5_000, '2026-11-11T12:00:00+02:00')))).toEqual([
      'big-spender-bronze',
    ]);
  });

  it('counts a refund delivered twice once', () => {
    const first = spend(6_000);
    const half = refund(first, '2026-11-10T13:00:00+02:00', 300_000);
    expect(bigSpender(given([half, half]).when(first))).toEqual([]);
    expect(bigSpender(given([half, half, first]).when(spend(2_000, '2026-11-11T12:00:00+02:00')))).toEqual([
      'big-spender-bronze',
    ]);
  });

  it('unlocks at the purchase that reached the target in time order, whichever arrived last', () => {
    const early = spend(3_000, '2026-11-05T12:00:00+02:00');
    const later = spend(3_000, '2026-11-09T12:00:00+02:00');
    const unlocked = given([later, early]).unlocked.find((u) => u.achievementId === 'big-spender-bronze')!;
    expect(unlocked.unlockedAt).toBe('2026-11-09T10:00:00.000Z');
    expect(unlocked.sourceEventId).toBe(early.type === 'TransactionReceived' ? early.transaction.id : '');
  });
});
