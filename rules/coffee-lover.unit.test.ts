import { describe, expect, it } from 'vitest';
import { days, given, purchase, refund, timeOf } from '../test/support/events.js';

const coffee = (time: string, fields = {}) => purchase({ categoryId: 5814, time, ...fields });
const novemberCoffees = (count: number) => days('2026-11-01', count).map((time) => coffee(time));

describe('coffee-lover: 10 coffee purchases in one calendar month', () => {
  it('given 9 coffees in November, when the 10th arrives in November, then it unlocks', () => {
    expect(given(novemberCoffees(9)).when(coffee('2026-11-20T09:00:00+02:00'))).toContain('coffee-lover');
  });

  it('given 9 coffees, when a non-coffee purchase arrives, then it stays locked', () => {
    expect(
      given(novemberCoffees(9)).when(purchase({ categoryId: 5411, time: '2026-11-20T09:00:00+02:00' })),
    ).not.toContain('coffee-lover');
  });

  it('given 9 coffees in October, when the 10th arrives in November, then it stays locked', () => {
    const october = days('2026-10-01', 9).map((time) => coffee(time));
    expect(given(october).when(coffee('2026-11-01T08:00:00+02:00'))).not.toContain('coffee-lover');
  });

  it('counts the month in Kyiv time: 23:30 UTC on 31 October is already November', () => {
    const threeADay = ['08:00', '12:00', '16:00']
      .flatMap((hour) => days('2026-11-01', 3, hour))
      .map((t) => coffee(t));
    expect(given(threeADay).when(coffee('2026-10-31T23:30:00Z'))).toContain('coffee-lover');
    expect(given(threeADay).when(coffee('2026-10-31T21:30:00Z'))).not.toContain('coffee-lover');
  });

  it('given 9 coffees, when the 9th is redelivered with the same id, then it counts once', () => {
    const coffees = novemberCoffees(9);
    expect(given(coffees).when(coffees[8]!)).not.toContain('coffee-lover');
  });

  it('given 9 coffees and a refund of one, when a 10th arrives, then it stays locked (9 count)', () => {
    const coffees = novemberCoffees(9);
    const history = [...coffees, refund(coffees[3]!, '2026-11-15T10:00:00+02:00')];
    expect(given(history).when(coffee('2026-11-20T09:00:00+02:00'))).not.toContain('coffee-lover');
  });

  it('given a refund that arrived before its coffee, when that coffee arrives, then it does not count', () => {
    const coffees = novemberCoffees(10);
    const history = [refund(coffees[9]!, '2026-11-15T10:00:00+02:00'), ...coffees.slice(0, 9)];
    expect(given(history).when(coffees[9]!)).not.toContain('coffee-lover');
  });

  it('given coffees arriving out of order within the month, then the 10th by arrival unlocks it', () => {
    const twiceADay = [...days('2026-11-10', 5, '08:00'), ...days('2026-11-10', 5, '16:00')].map((t) =>
      coffee(t),
    );
    const reversed = twiceADay.sort((a, b) => timeOf(b) - timeOf(a));
    expect(given(reversed.slice(0, 9)).when(reversed[9]!)).toContain('coffee-lover');
  });

  it('given an unlocked coffee-lover, when a coffee is refunded, then it stays unlocked', () => {
    const coffees = novemberCoffees(10);
    const after = given([...coffees, refund(coffees[0]!, '2026-11-25T10:00:00+02:00')]);
    expect(after.unlocked.map((u) => u.achievementId)).toContain('coffee-lover');
    expect(after.progress.unlocked['coffee-lover']).toBeDefined();
    expect(after.progress.rules['coffee-lover']).toBeUndefined();
  });

  it('given 9 coffees in December, when a coffee from October arrives two months late, then it is too late to count', () => {
    const december = days('2026-12-01', 9).map((time) => coffee(time));
    const lateOctober = days('2026-10-01', 1).map((time) => coffee(time))[0]!;
    expect(given(december).when(lateOctober)).not.toContain('coffee-lover');
  });

  it('keeps counting a coffee partly refunded, and stops once its refunds cover it all', () => {
    const coffees = novemberCoffees(9);
    const partly = [...coffees, refund(coffees[0]!, '2026-11-10T09:00:00+02:00', 1)];
    expect(given(partly).when(coffee('2026-11-10T10:00:00+02:00'))).toContain('coffee-lover');
    const whole = [...partly, refund(coffees[0]!, '2026-11-10T09:30:00+02:00', 9_999)];
    expect(given(whole).when(coffee('2026-11-10T10:00:00+02:00'))).not.toContain('coffee-lover');
  });

  it('remembers refunds that come before their coffee by time, however many others came between', () => {
    const coffees = novemberCoffees(10);
    const strangers = Array.from({ length: 80 }, (_, i) =>
      refund(
        coffee(`2026-11-05T10:${String(i % 60).padStart(2, '0')}:00+02:00`),
        '2026-11-05T11:00:00+02:00',
      ),
    );
    const history = [refund(coffees[9]!, '2026-11-09T10:00:00+02:00'), ...strangers, ...coffees.slice(0, 9)];
    expect(given(history).when(coffees[9]!)).not.toContain('coffee-lover');
  });

  it('forgets a refund dated more than 7 days before the newest record, so its late coffee counts', () => {
    const coffees = [...days('2026-11-20', 5, '08:00'), ...days('2026-11-20', 5, '16:00')].map((t) =>
      coffee(t),
    );
    const early = refund(coffees[9]!, '2026-11-12T10:00:00+02:00');
    expect(given([early, ...coffees.slice(0, 9)]).when(coffees[9]!)).toContain('coffee-lover');
  });

  it('unlocks at the 10th coffee in time order, and names the coffee whose arrival completed it', () => {
    const ten = novemberCoffees(10);
    const lastArriving = ten[4]!;
    const unlocked = given([...ten.filter((c) => c !== lastArriving), lastArriving]).unlocked.find(
      (u) => u.achievementId === 'coffee-lover',
    )!;
    expect(unlocked.unlockedAt).toBe('2026-11-10T10:00:00.000Z');
    expect(unlocked.sourceEventId).toBe(
      lastArriving.type === 'TransactionReceived' ? lastArriving.transaction.id : '',
    );
  });
});
