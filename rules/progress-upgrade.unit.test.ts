import { describe, expect, it } from 'vitest';
import { catalog, KYIV, purchase } from '../test/support/events.js';
import { decide } from './decide.js';
import { keyOf } from './progress.js';
import { viewOf } from './progress-view.js';
import { upgradeProgress } from './progress-upgrade.js';

describe('upgradeProgress: progress stored by earlier builds', () => {
  const t = (iso: string) => Date.parse(iso);
  const stored = {
    rules: {
      'coffee-lover': {
        latestMs: t('2026-11-09T10:00:00Z'),
        entries: [keyOf('c-2'), t('2026-11-09T10:00:00Z'), 1, keyOf('c-1'), t('2026-11-02T10:00:00Z'), 1],
      },
      'big-spender': {
        latestMs: t('2026-11-03T10:00:00Z'),
        entries: [keyOf('b-1'), t('2026-11-03T10:00:00Z'), 450_000],
      },
    },
    unlocked: { 'first-purchase': { at: '2026-11-02T10:00:00.000Z', sourceEventId: 'c-1' } },
    refunded: [keyOf('late-coffee')],
  };

  it('keeps the counts, amounts and unlocks, in time order, with the newest time as the horizon', () => {
    const upgraded = upgradeProgress(stored, catalog);
    expect(upgraded).toEqual({
      format: 3,
      transactionsHorizonMs: t('2026-11-09T10:00:00Z'),
      eventsHorizonMs: t('2026-11-09T10:00:00Z'),
      rules: {
        'coffee-lover': {
          entries: [
            keyOf('c-1'),
            t('2026-11-02T10:00:00Z'),
            1,
            0,
            keyOf('c-2'),
            t('2026-11-09T10:00:00Z'),
            1,
            0,
          ],
        },
        'big-spender': { entries: [keyOf('b-1'), t('2026-11-03T10:00:00Z'), 450_000, 0] },
      },
      unlocked: stored.unlocked,
      refunds: [0, keyOf('late-coffee'), Number.MAX_SAFE_INTEGER, t('2026-11-09T10:00:00Z')],
    });
    expect(upgradeProgress(upgraded, catalog)).toBe(upgraded);
  });

  it('goes on counting from what it kept: 500 UAH more makes bronze; a remembered refund still takes all', () => {
    const upgraded = upgradeProgress(stored, catalog);
    const more = purchase({ amount: 50_000, time: '2026-11-10T12:00:00+02:00' });
    expect(decide(upgraded, more, catalog, KYIV).unlocked.map((u) => u.achievementId)).toContain(
      'big-spender-bronze',
    );
    const refunded = purchase({ id: 'late-coffee', categoryId: 5814, time: '2026-11-08T12:00:00+02:00' });
    const after = decide(upgraded, refunded, catalog, KYIV).progress;
    const coffeeLover = catalog.achievements.get('coffee-lover')!;
    expect(viewOf(coffeeLover, after, t('2026-11-10T12:00:00+02:00'), KYIV).progress.current).toBe(2);
  });

  it('gives progress of format 2 its one horizon as the horizon of both input topics', () => {
    const formatTwo = {
      format: 2 as const,
      horizonMs: t('2026-11-09T10:00:00Z'),
      rules: { 'coffee-lover': { entries: [keyOf('c-1'), t('2026-11-02T10:00:00Z'), 1, 0] } },
      unlocked: stored.unlocked,
      refunds: [],
      attributes: { cardProduct: ['gold', t('2026-11-01T10:00:00Z')] as [string, number] },
    };
    const { horizonMs: _one, ...kept } = formatTwo;
    expect(upgradeProgress(formatTwo, catalog)).toEqual({
      ...kept,
      format: 3,
      transactionsHorizonMs: t('2026-11-09T10:00:00Z'),
      eventsHorizonMs: t('2026-11-09T10:00:00Z'),
    });
  });
});
