import { describe, expect, it } from 'vitest';
import { catalog, clientEvent, days, KYIV, purchase, refund, ruleDocument } from '../test/support/events.js';
import { earningKey, mergeReplayed, type LiveEarnings } from './backfill-merge.js';
import { calendarPeriod } from './calendar.js';
import { buildCatalog, type Catalog } from './catalog.js';
import { decide } from './decide.js';
import type { InputEvent } from './events.js';
import { measureAt } from './progress-view.js';
import { initialProgress, type ClientProgress } from './progress.js';
import { Replay } from './replay.js';

const coffeeRule = catalog.achievements.get('coffee-lover')!.rule;
const onlyCoffee: Catalog = {
  rules: [coffeeRule],
  achievements: new Map([['coffee-lover', catalog.achievements.get('coffee-lover')!]]),
};
const noCoffee: Catalog = buildCatalog(
  catalog.rules
    .filter((rule) => rule.id !== 'coffee-lover')
    .map((rule) => ({ source: rule.id, document: ruleDocument(rule.id) })),
);

function run(events: InputEvent[], rules: Catalog, from: ClientProgress = initialProgress()) {
  let progress = from;
  for (const event of events) progress = decide(progress, event, rules, KYIV).progress;
  return progress;
}

const nothingLive: LiveEarnings = { underVersion: new Map(), held: new Set() };
/** A replay's client with no repeating earnings, as a rule that does not repeat leaves it. */
const replayedAs = (progress: ClientProgress) => ({ progress, earnings: [] });

const coffees = (times: string[]) => times.map((time) => purchase({ categoryId: 5814, time }));

describe('merging a backfill replay into live progress', () => {
  it('given coffees before the activation, when merged, then the unlock the history reached is found', () => {
    const history = coffees(days('2026-11-01', 10));
    const live = run(history, noCoffee);
    const replayed = run(history, onlyCoffee);
    const merged = mergeReplayed('c-1', live, replayedAs(replayed), coffeeRule, nothingLive, KYIV);
    expect(merged.found.map((u) => [u.achievementId, u.unlockedAt, u.sourceEventId])).toEqual([
      [
        'coffee-lover',
        replayed.unlocked['coffee-lover']!.at,
        replayed.unlocked['coffee-lover']!.sourceEventId,
      ],
    ]);
    expect(merged.progress.unlocked['coffee-lover']).toEqual(replayed.unlocked['coffee-lover']);
    expect(merged.progress.rules['coffee-lover']).toBeUndefined();
  });

  it('given an unlock live processing made after the activation from fewer coffees, then its time is the earlier one history gives', () => {
    const before = coffees(days('2026-11-01', 10));
    const after = coffees(days('2026-11-15', 10));
    const live = run(after, catalog, run(before, noCoffee));
    const replayed = run([...before, ...after], onlyCoffee);
    const merged = mergeReplayed(
      'c-1',
      live,
      replayedAs(replayed),
      coffeeRule,
      {
        underVersion: new Map([['coffee-lover', live.unlocked['coffee-lover']!]]),
        held: new Set(['coffee-lover']),
      },
      KYIV,
    );
    expect(merged.found).toEqual([]);
    expect(merged.corrected.map((u) => u.unlockedAt)).toEqual([replayed.unlocked['coffee-lover']!.at]);
    expect(Date.parse(merged.progress.unlocked['coffee-lover']!.at)).toBeLessThan(
      Date.parse(live.unlocked['coffee-lover']!.at),
    );
  });

  it('given an unlock earned under an earlier version, then it keeps its time and the rule stays settled', () => {
    const earlier = run(coffees(days('2026-10-01', 10)), catalog);
    const replayed = run(coffees(days('2026-11-01', 5)), onlyCoffee);
    expect(replayed.rules['coffee-lover']).toBeDefined();
    const merged = mergeReplayed('c-1', earlier, replayedAs(replayed), coffeeRule, nothingLive, KYIV);
    expect(merged.found).toEqual([]);
    expect(merged.corrected).toEqual([]);
    expect(merged.progress.unlocked['coffee-lover']).toEqual(earlier.unlocked['coffee-lover']);
    expect(merged.progress.rules['coffee-lover']).toBeUndefined();
  });

  it('given a refund live processing forgot (no live rule held its coffee), then the merged count still loses it', () => {
    // Dollar coffees without a country: of the live rules only the streak holds them, and only for two weeks.
    const dollarCoffees = days('2026-11-01', 9).map((time) =>
      purchase({ categoryId: 5814, currency: 'USD', geo: null, time }),
    );
    const later = purchase({ currency: 'USD', geo: null, time: '2026-11-20T12:00:00+02:00' });
    const history = [
      dollarCoffees[0]!,
      refund(dollarCoffees[0]!, '2026-11-01T18:00:00+02:00'),
      ...dollarCoffees.slice(1),
      later,
      // A refund arriving is when the refunds kept are looked over again.
      purchase({ kind: 'refund', originalId: 'no-such-purchase', time: '2026-11-20T12:05:00+02:00' }),
    ];
    const live = run(history, noCoffee);
    const replayed = run(history, onlyCoffee);
    expect(live.refunds).toHaveLength(4);
    const merged = mergeReplayed('c-1', live, replayedAs(replayed), coffeeRule, nothingLive, KYIV);
    expect(measureAt(coffeeRule, merged.progress, Date.parse('2026-11-20T13:00:00+02:00'), KYIV)).toBe(8);
  });

  it('given a coffee live processing counted for a client its audience held before the replay began, then it stays counted', () => {
    const document = {
      ...ruleDocument('coffee-lover'),
      audience: { attributes: { cardProduct: { equals: 'gold' } } },
    };
    const gold = buildCatalog([{ source: 'gold coffee', document }]);
    const goldRule = gold.rules[0]!;
    const becameGold = clientEvent('attributes.updated', '2026-10-20T10:00:00+03:00', {
      cardProduct: 'gold',
    });
    const sinceActivation = coffees(['2026-11-10T08:00:00+02:00']);
    const live = run(sinceActivation, gold, run([becameGold], noCoffee));
    // The replay began after the attribute was set: it does not know the client is gold, so counts nothing.
    const replayed = run(sinceActivation, gold);
    const merged = mergeReplayed('c-1', live, replayedAs(replayed), goldRule, nothingLive, KYIV);
    expect(measureAt(goldRule, merged.progress, Date.parse('2026-11-10T12:00:00+02:00'), KYIV)).toBe(1);
  });

  it('given a replay that adds nothing to live progress, then the live progress itself comes back, to write nothing', () => {
    const history = coffees(days('2026-11-01', 3));
    const live = run(history, catalog);
    const merged = mergeReplayed(
      'c-1',
      live,
      replayedAs(run(history, onlyCoffee)),
      coffeeRule,
      nothingLive,
      KYIV,
    );
    expect(merged.progress).toBe(live);
  });
});

describe('merging a backfill replay of a monthly repeating rule', () => {
  const monthly = buildCatalog([
    {
      source: 'monthly.yaml',
      document: { ...ruleDocument('coffee-lover'), repeat: { every: 'month' }, examples: [] },
    },
  ]);
  const monthlyRule = monthly.rules[0]!;
  const replayOf = (events: InputEvent[]) => {
    const replay = new Replay(monthly, KYIV);
    for (const event of events) replay.apply(event);
    return replay.takeChanged()[0]![1];
  };
  const threeMonths = [
    ...coffees(days('2026-09-01', 10)),
    ...coffees(days('2026-10-01', 10)),
    ...coffees(days('2026-11-01', 10)),
  ];

  it('given three months earned in history, then each is found as an occurrence of its own, and none again', () => {
    const live = run(threeMonths, noCoffee);
    const merged = mergeReplayed('c-1', live, replayOf(threeMonths), monthlyRule, nothingLive, KYIV);
    expect(merged.found.map((u) => u.occurrence)).toEqual(['2026-09', '2026-10', '2026-11']);
    expect(merged.progress.repeats?.['coffee-lover']).toMatchObject({
      times: 3,
      last: { occurrence: '2026-11' },
      firstAt: merged.found[0]!.unlockedAt,
    });
    const another = decide(
      merged.progress,
      purchase({ categoryId: 5814, time: '2026-11-20T12:00:00+02:00' }),
      monthly,
      KYIV,
    );
    expect(another.unlocked).toEqual([]);
  });

  it('given a month an earlier version earned, then it is held as it was and only the others are found', () => {
    const earlier = run(coffees(days('2026-10-01', 10)), monthly);
    const merged = mergeReplayed(
      'c-1',
      earlier,
      replayOf(threeMonths),
      monthlyRule,
      {
        underVersion: new Map(),
        held: new Set([earningKey('coffee-lover', '2026-10')]),
      },
      KYIV,
    );
    expect(merged.found.map((u) => u.occurrence)).toEqual(['2026-09', '2026-11']);
    expect(merged.corrected).toEqual([]);
    const record = merged.progress.repeats?.['coffee-lover'];
    expect(record?.times).toBe(3);
    expect(record?.open).toEqual(expect.arrayContaining(earlier.repeats!['coffee-lover']!.open));
  });

  it('given a month live processing earned under this version from fewer coffees, then its time is the one history gives', () => {
    const sinceActivation = coffees(days('2026-11-11', 10));
    const live = run(sinceActivation, monthly, run(threeMonths.slice(0, 25), noCoffee));
    const liveNovember = live.repeats!['coffee-lover']!.last;
    const key = earningKey('coffee-lover', '2026-11');
    const merged = mergeReplayed(
      'c-1',
      live,
      replayOf([...threeMonths.slice(0, 25), ...sinceActivation]),
      monthlyRule,
      { underVersion: new Map([[key, liveNovember]]), held: new Set([key]) },
      KYIV,
    );
    expect(merged.found.map((u) => u.occurrence)).toEqual(['2026-09', '2026-10']);
    expect(merged.corrected.map((u) => [u.occurrence, u.unlockedAt])).toEqual([
      ['2026-11', '2026-11-15T10:00:00.000Z'],
    ]);
    expect(merged.progress.repeats?.['coffee-lover']).toMatchObject({
      times: 3,
      last: { occurrence: '2026-11', at: '2026-11-15T10:00:00.000Z' },
    });
  });
});

describe('merging a backfill replay of a capped rule', () => {
  const capped = buildCatalog([
    {
      source: 'capped.yaml',
      document: { ...ruleDocument('coffee-lover'), cap: { points: 150, per: 'month' }, examples: [] },
    },
  ]);
  const cappedRule = capped.rules[0]!;

  it('given points live processing granted in the same month, then a found unlock gets only what the cap left', () => {
    const history = coffees(days('2026-11-01', 10));
    const replay = new Replay(capped, KYIV);
    for (const event of history) replay.apply(event);
    const replayed = replay.takeChanged()[0]![1];
    expect(replayed.earnings.map((e) => e.points)).toEqual([100]);
    // An earlier version of the rule granted 120 points in November, for an unlock this one does not make.
    const november = calendarPeriod(Date.parse('2026-11-15T12:00:00+02:00'), 'month', KYIV);
    const live = { ...run(history, noCoffee), caps: { 'coffee-lover:month': [november, 120] } };
    const merged = mergeReplayed('c-1', live, replayed, cappedRule, nothingLive, KYIV);
    expect(merged.found.map((u) => [u.achievementId, u.points])).toEqual([['coffee-lover', 30]]);
    expect(merged.progress.caps).toEqual({ 'coffee-lover:month': [november, 150] });
  });
});
