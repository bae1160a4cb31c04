import { describe, expect, it } from 'vitest';
import { KYIV, purchase } from '../test/support/events.js';
import { wideCatalog } from '../test/support/wide-catalog.js';
import { decide } from './decide.js';
import type { InputEvent } from './events.js';
import { initialProgress, type ClientProgress } from './progress.js';

/**
 * What the engine forgets, and when: an entry is dropped only once no record still on time could share a
 * window with it. These cases sit exactly on that edge: a record 7 days late completing a window whose other
 * end is as old as a window can reach back.
 */
const catalog = wideCatalog();

function given(events: InputEvent[]) {
  let progress: ClientProgress = initialProgress();
  for (const event of events) progress = decide(progress, event, catalog, KYIV).progress;
  return {
    progress,
    when: (event: InputEvent) => decide(progress, event, catalog, KYIV).unlocked.map((u) => u.achievementId),
  };
}

const day = (n: number, hour = '12:00') =>
  new Date(Date.parse(`2026-05-01T${hour}:00+03:00`) + (n - 1) * 86_400_000).toISOString();

describe('a rolling window of 30 days (merchant-explorer: 3 merchants)', () => {
  const history = [
    purchase({ merchantId: 'm-1', time: day(1) }),
    purchase({ merchantId: 'm-2', time: day(30) }),
    purchase({ merchantId: 'm-2', time: day(38) }),
  ];

  it('keeps a purchase as old as the window reaches back from a record arriving 7 days late', () => {
    expect(given(history).when(purchase({ merchantId: 'm-3', time: day(31) }))).toContain(
      'merchant-explorer',
    );
  });

  it('lets no record later than 7 days reach it', () => {
    expect(given(history).when(purchase({ merchantId: 'm-3', time: day(31, '11:59') }))).not.toContain(
      'merchant-explorer',
    );
  });

  it('forgets purchases no record on time can share a window with', () => {
    const later = given([...history, purchase({ merchantId: 'm-2', time: day(45) })]).progress;
    expect(
      decide(later, purchase({ merchantId: 'm-3', time: day(38) }), catalog, KYIV).progress.rules[
        'merchant-explorer'
      ]!.entries,
    ).not.toContain(Date.parse(day(1)));
  });
});

describe('a streak of 7 days (week-streak)', () => {
  const sixDays = [1, 2, 3, 4, 5, 6].map((n) => purchase({ time: day(n) }));

  it('keeps the first day of a week a record 7 days late completes', () => {
    expect(given([...sixDays, purchase({ time: day(14) })]).when(purchase({ time: day(7) }))).toContain(
      'week-streak',
    );
  });

  it('forgets days no record on time can join to a week', () => {
    const later = given([...sixDays, purchase({ time: day(16) })]).progress;
    const entries = decide(later, purchase({ time: day(16, '13:00') }), catalog, KYIV).progress.rules[
      'week-streak'
    ]!.entries;
    expect(entries).not.toContain(Date.parse(day(1)));
    expect(entries).toContain(Date.parse(day(3)));
  });
});

describe('a calendar month (coffee-lover)', () => {
  it('keeps last month while a record dated in it may still arrive, and forgets it after', () => {
    const coffees = [1, 2, 3].map((n) => purchase({ categoryId: 5814, time: day(n) }));
    const june = (n: number) => purchase({ categoryId: 5814, time: day(31 + n) });
    const early = decide(given([...coffees]).progress, june(6), catalog, KYIV).progress;
    expect(early.rules['coffee-lover']!.entries).toContain(Date.parse(day(1)));
    const later = decide(early, june(8), catalog, KYIV).progress;
    expect(later.rules['coffee-lover']!.entries).not.toContain(Date.parse(day(1)));
  });
});
