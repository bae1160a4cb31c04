import { describe, expect, it } from 'vitest';
import { days, given, purchase, refund } from '../test/support/events.js';

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
    const lateOctoberUtc = coffee('2026-10-31T23:30:00Z');
    expect(given(novemberCoffees(9)).when(lateOctoberUtc)).toContain('coffee-lover');
    expect(given(novemberCoffees(9)).when(coffee('2026-10-31T21:30:00Z'))).not.toContain('coffee-lover');
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
    const coffees = novemberCoffees(10).reverse();
    expect(given(coffees.slice(0, 9)).when(coffees[9]!)).toContain('coffee-lover');
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
});
