import { describe, expect, it } from 'vitest';
import { catalog, days, given, KYIV, purchase, ruleDocument } from '../test/support/events.js';
import { buildCatalog } from './catalog.js';
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
      availability: { state: 'open', from: null, until: null },
      timesEarned: 0,
      repeats: null,
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

describe('viewOf: a campaign’s window', () => {
  const december = buildCatalog([
    {
      source: 'december.yaml',
      document: {
        ...ruleDocument('coffee-lover'),
        schedule: { startsAt: '2026-12-01T00:00:00+02:00', endsAt: '2026-12-25T00:00:00+02:00' },
      },
    },
  ]).achievements.get('coffee-lover')!;
  const { progress } = given(days('2026-12-02', 3).map((time) => purchase({ categoryId: 5814, time })));

  it('is upcoming before it starts, open within it and ended from its end, with both ends in UTC', () => {
    const window = { from: '2026-11-30T22:00:00.000Z', until: '2026-12-24T22:00:00.000Z' };
    const stateAt = (iso: string) => viewOf(december, progress, at(iso), KYIV).availability;
    expect(stateAt('2026-11-30T23:59:00+02:00')).toEqual({ state: 'upcoming', ...window });
    expect(stateAt('2026-12-01T00:00:00+02:00')).toEqual({ state: 'open', ...window });
    expect(stateAt('2026-12-24T23:59:00+02:00')).toEqual({ state: 'open', ...window });
    expect(stateAt('2026-12-25T00:00:00+02:00')).toEqual({ state: 'ended', ...window });
  });
});
