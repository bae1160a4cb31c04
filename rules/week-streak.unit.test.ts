import { describe, expect, it } from 'vitest';
import { days, given, purchase, refund } from '../test/support/events.js';

const buyOn = (times: string[]) => times.map((time) => purchase({ time }));

describe('week-streak: a purchase on each of 7 consecutive calendar days', () => {
  it('given 6 consecutive days, when the 7th day has a purchase, then it unlocks', () => {
    expect(
      given(buyOn(days('2026-11-01', 6))).when(purchase({ time: '2026-11-07T18:00:00+02:00' })),
    ).toContain('week-streak');
  });

  it('given 6 days, when a second purchase lands on day 6, then it stays locked', () => {
    expect(
      given(buyOn(days('2026-11-01', 6))).when(purchase({ time: '2026-11-06T20:00:00+02:00' })),
    ).not.toContain('week-streak');
  });

  it('given a gap on day 4, when day 8 comes, then it stays locked', () => {
    const withGap = [...days('2026-11-01', 3), ...days('2026-11-05', 3)];
    expect(given(buyOn(withGap)).when(purchase({ time: '2026-11-08T12:00:00+02:00' }))).not.toContain(
      'week-streak',
    );
  });

  it('given days 1–3 and 5–7, when the missing day 4 arrives late, then it unlocks', () => {
    const withGap = [...days('2026-11-01', 3), ...days('2026-11-05', 3)];
    expect(given(buyOn(withGap)).when(purchase({ time: '2026-11-04T12:00:00+02:00' }))).toContain(
      'week-streak',
    );
  });

  it('uses Kyiv days: 22:30 UTC is already the next day there', () => {
    const sixDays = buyOn(days('2026-11-01', 6));
    expect(given(sixDays).when(purchase({ time: '2026-11-06T22:30:00Z' }))).toContain('week-streak');
  });

  it('keeps a streak across the end of daylight saving (25 October 2026 has 25 hours)', () => {
    const times = ['2026-10-22T23:30:00+03:00', '2026-10-23T23:30:00+03:00', '2026-10-24T23:30:00+03:00'];
    times.push('2026-10-25T03:30:00+02:00', '2026-10-26T00:30:00+02:00', '2026-10-27T23:30:00+02:00');
    expect(given(buyOn(times)).when(purchase({ time: '2026-10-28T00:30:00+02:00' }))).toContain(
      'week-streak',
    );
    expect(given(buyOn(times)).when(purchase({ time: '2026-10-27T21:30:00Z' }))).not.toContain('week-streak');
  });

  it('keeps a streak across the start of daylight saving (29 March 2026 has 23 hours)', () => {
    const times = ['2026-03-26T12:00:00+02:00', '2026-03-27T12:00:00+02:00', '2026-03-28T23:30:00+02:00'];
    times.push('2026-03-29T23:30:00+03:00', '2026-03-30T00:30:00+03:00', '2026-03-31T12:00:00+03:00');
    expect(given(buyOn(times)).when(purchase({ time: '2026-04-01T12:00:00+03:00' }))).toContain(
      'week-streak',
    );
  });

  it('given 6 days where day 3 was refunded, when day 7 comes, then it stays locked', () => {
    const six = buyOn(days('2026-11-01', 6));
    const history = [...six, refund(six[2]!, '2026-11-06T13:00:00+02:00')];
    expect(given(history).when(purchase({ time: '2026-11-07T12:00:00+02:00' }))).not.toContain('week-streak');
  });

  it('given two purchases on 13 Nov and one of them refunded, then the day stays in the streak', () => {
    const both = [
      purchase({ time: '2026-11-13T09:00:00+02:00' }),
      purchase({ time: '2026-11-13T19:00:00+02:00' }),
    ];
    const history = [
      ...buyOn(days('2026-11-10', 3)),
      ...both,
      refund(both[0]!, '2026-11-14T09:00:00+02:00'),
      ...buyOn(days('2026-11-14', 2)),
    ];
    expect(given(history).when(purchase({ time: '2026-11-16T12:00:00+02:00' }))).toContain('week-streak');
  });

  it('given a day whose only purchase is half refunded, then the day still counts', () => {
    const day3 = purchase({ time: '2026-11-03T12:00:00+02:00', amount: 10_000 });
    const history = [...buyOn(days('2026-11-01', 2)), day3, refund(day3, '2026-11-04T08:00:00+02:00', 5_000)];
    history.push(...buyOn(days('2026-11-04', 3)));
    expect(given(history).when(purchase({ time: '2026-11-07T12:00:00+02:00' }))).toContain('week-streak');
  });

  it('unlocks at the first purchase of the seventh day, in event time', () => {
    const history = buyOn([...days('2026-11-02', 6), '2026-11-01T21:00:00+02:00']);
    const unlocked = given(history).unlocked.find((u) => u.achievementId === 'week-streak')!;
    expect(unlocked.unlockedAt).toBe('2026-11-07T10:00:00.000Z');
  });
});
