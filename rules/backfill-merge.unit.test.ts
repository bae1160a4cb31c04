import { describe, expect, it } from 'vitest';
import { catalog, clientEvent, days, KYIV, purchase, refund, ruleDocument } from '../test/support/events.js';
import { mergeReplayed } from './backfill-merge.js';
import { buildCatalog, type Catalog } from './catalog.js';
import { decide } from './decide.js';
import type { InputEvent } from './events.js';
import { measureAt } from './progress-view.js';
import { initialProgress, type ClientProgress } from './progress.js';

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

const coffees = (times: string[]) => times.map((time) => purchase({ categoryId: 5814, time }));

describe('merging a backfill replay into live progress', () => {
  it('given coffees before the activation, when merged, then the unlock the history reached is found', () => {
    const history = coffees(days('2026-11-01', 10));
    const live = run(history, noCoffee);
    const replayed = run(history, onlyCoffee);
    const merged = mergeReplayed('c-1', live, replayed, coffeeRule, new Set());
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
    const merged = mergeReplayed('c-1', live, replayed, coffeeRule, new Set(['coffee-lover']));
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
    const merged = mergeReplayed('c-1', earlier, replayed, coffeeRule, new Set());
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
    const merged = mergeReplayed('c-1', live, replayed, coffeeRule, new Set());
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
    const merged = mergeReplayed('c-1', live, replayed, goldRule, new Set());
    expect(measureAt(goldRule, merged.progress, Date.parse('2026-11-10T12:00:00+02:00'), KYIV)).toBe(1);
  });

  it('given a replay that adds nothing to live progress, then the live progress itself comes back, to write nothing', () => {
    const history = coffees(days('2026-11-01', 3));
    const live = run(history, catalog);
    const merged = mergeReplayed('c-1', live, run(history, onlyCoffee), coffeeRule, new Set());
    expect(merged.progress).toBe(live);
  });
});
