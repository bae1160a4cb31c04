import { describe, expect, it } from 'vitest';
import { catalog, days, given, KYIV, purchase } from '../test/support/events.js';
import { viewOf } from './progress-view.js';

const achievement = (id: string) => catalog.achievements.get(id)!;
const at = (iso: string) => Date.parse(iso);

describe('viewOf: progress as the app shows it', () => {
  const coffees = days('2026-11-01', 4).map((time) => purchase({ categoryId: 5814, time }));
  const { progress } = given(coffees);

  it('counts this month’s coffees towards coffee-lover', () => {
    expect(viewOf(achievement('coffee-lover'), progress, at('2026-11-20T12:00:00+02:00'), KYIV)).toEqual({
      id: 'coffee-lover',
      unlocked: false,
      unlockedAt: null,
      progress: { current: 4, target: 10 },
    });
  });

  it('starts again from zero in the next month', () => {
    expect(
      viewOf(achievement('coffee-lover'), progress, at('2026-12-01T09:00:00+02:00'), KYIV).progress.current,
    ).toBe(0);
  });

  it('shows an unlocked achievement with its time and the target reached', () => {
    expect(
      viewOf(achievement('first-purchase'), progress, at('2026-11-20T12:00:00+02:00'), KYIV),
    ).toMatchObject({
      unlocked: true,
      unlockedAt: '2026-11-01T10:00:00.000Z',
      progress: { current: 1, target: 1 },
    });
  });

  it('keeps a streak alive through yesterday, and drops it after a day without purchases', () => {
    expect(
      viewOf(achievement('week-streak'), progress, at('2026-11-05T08:00:00+02:00'), KYIV).progress.current,
    ).toBe(4);
    expect(
      viewOf(achievement('week-streak'), progress, at('2026-11-06T08:00:00+02:00'), KYIV).progress.current,
    ).toBe(0);
  });

  it('shows each big-spender level against its own target', () => {
    const spent = given([purchase({ amount: 700_000, time: '2026-11-03T12:00:00+02:00' })]).progress;
    const now = at('2026-11-20T12:00:00+02:00');
    expect(viewOf(achievement('big-spender-bronze'), spent, now, KYIV).unlocked).toBe(true);
    expect(viewOf(achievement('big-spender-silver'), spent, now, KYIV).progress).toEqual({
      current: 700_000,
      target: 2_000_000,
    });
  });
});
