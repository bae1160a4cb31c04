import { describe, expect, it } from 'vitest';
import { unlockIdOf } from '../platform/unlock-records.js';
import { days, given, KYIV, purchase, refund, ruleDocument } from '../test/support/events.js';
import { calendarPeriod } from './calendar.js';
import { buildCatalog } from './catalog.js';
import { viewOf } from './progress-view.js';
import { periodLabel } from './repeats.js';
import { ruleSchema } from './rule-schema.js';

const monthly = buildCatalog([
  {
    source: 'monthly.yaml',
    document: { ...ruleDocument('coffee-lover'), repeat: { every: 'month' }, examples: [] },
  },
]);
const coffees = (from: string, count: number) =>
  days(from, count, '08:00').map((time) => purchase({ categoryId: 5814, time }));

describe('an achievement that repeats every month', () => {
  it('is earned once in each month whose coffees reach the target, each an occurrence of its own', () => {
    const { unlocked, progress } = given(
      [...coffees('2026-10-22', 8), ...coffees('2026-11-03', 10)],
      undefined,
      monthly,
    );
    expect(unlocked.map((u) => [u.occurrence, u.unlockedAt])).toEqual([
      ['2026-11', '2026-11-12T06:00:00.000Z'],
    ]);
    expect(progress.repeats?.['coffee-lover']).toMatchObject({ times: 1, last: { occurrence: '2026-11' } });
  });

  it('counts a refund crossing a month against the month of its purchase, and a month earned stays earned', () => {
    const october = coffees('2026-10-20', 10);
    const refundOfOne = refund(october[9]!, '2026-11-01T10:00:00+02:00');
    const { unlocked, progress } = given(
      [...october, refundOfOne, ...coffees('2026-11-02', 9)],
      undefined,
      monthly,
    );
    expect(unlocked.map((u) => u.occurrence)).toEqual(['2026-10']);
    const view = viewOf(
      monthly.achievements.get('coffee-lover')!,
      progress,
      Date.parse('2026-11-20T12:00:00+02:00'),
      KYIV,
    );
    expect(view).toMatchObject({
      unlocked: true,
      timesEarned: 1,
      repeats: 'month',
      progress: { current: 9, target: 10 },
    });
  });

  it('gives each occurrence its own unlock id', () => {
    const ids = ['2026-10', '2026-11'].map((occurrence) => unlockIdOf('c-1', 'coffee-lover', occurrence));
    expect(new Set([...ids, unlockIdOf('c-1', 'coffee-lover')]).size).toBe(3);
  });
});

describe('an achievement that repeats at each multiple of its target', () => {
  const everyTenThousand = buildCatalog([
    {
      source: 'spend.yaml',
      document: {
        ...ruleDocument('big-spender'),
        window: { type: 'lifetime' },
        repeat: { every: 'target' },
        levels: [{ ...(ruleDocument('big-spender').levels as object[])[0], target: 1_000_000 }],
        examples: [],
      },
    },
  ]);

  it('earns one occurrence per multiple a purchase crosses, several at once for a large one', () => {
    const { unlocked } = given(
      [
        purchase({ amount: 600_000, time: '2026-11-02T10:00:00+02:00' }),
        purchase({ amount: 500_000, time: '2026-11-03T10:00:00+02:00' }),
        purchase({ amount: 2_000_000, time: '2026-11-04T10:00:00+02:00' }),
      ],
      undefined,
      everyTenThousand,
    );
    expect(unlocked.map((u) => [u.occurrence, u.sourceEventId])).toEqual([
      ['1', expect.any(String)],
      ['2', expect.any(String)],
      ['3', expect.any(String)],
    ]);
    expect(unlocked[1]!.sourceEventId).toBe(unlocked[2]!.sourceEventId);
  });
});

describe('occurrence labels', () => {
  it.each([
    ['2026-12-31T12:00:00+02:00', 'week', '2026-W53'],
    ['2027-01-03T23:00:00+02:00', 'week', '2026-W53'],
    ['2027-01-04T00:30:00+02:00', 'week', '2027-W01'],
    ['2026-11-30T23:30:00+02:00', 'month', '2026-11'],
    ['2026-11-30T22:30:00Z', 'month', '2026-12'],
    ['2026-10-01T00:00:00+03:00', 'quarter', '2026-Q4'],
    ['2026-12-31T23:59:00+02:00', 'year', '2026'],
  ] as const)('%s is in %s %s in Kyiv', (time, unit, label) => {
    expect(periodLabel(calendarPeriod(Date.parse(time), unit, KYIV), unit)).toBe(label);
  });
});

describe('a repeat that does not fit its window', () => {
  it.each([
    [{ repeat: { every: 'week' } }, /calendar week/],
    [{ repeat: { every: 'target' } }, /lifetime/],
    [
      {
        repeat: { every: 'target' },
        window: { type: 'lifetime' },
        measure: { type: 'first' },
        levels: undefined,
      },
      /count, sum or distinct/,
    ],
  ])('is refused at /repeat/every: %j', (change, reason) => {
    const document = { ...ruleDocument('coffee-lover'), ...change, examples: [] } as Record<string, unknown>;
    if ('levels' in change) document.levels = [{ ...(ruleDocument('first-purchase').levels as object[])[0] }];
    const parsed = ruleSchema.safeParse({ ...document, version: 1 });
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues.find((i) => i.path.join('/') === 'repeat/every')?.message).toMatch(reason);
  });
});
