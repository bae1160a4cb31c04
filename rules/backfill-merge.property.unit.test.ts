import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arrivals, scenario } from '../test/support/client-histories.js';
import { wideCatalog } from '../test/support/wide-catalog.js';
import { backfillNotBuilt } from './rule-book.js';
import { mergeReplayed } from './backfill-merge.js';
import type { Catalog, CatalogRule } from './catalog.js';
import { decide } from './decide.js';
import type { InputEvent } from './events.js';
import { initialProgress, type ClientProgress } from './progress.js';

const SEED = Number(process.env.RULES_SEED ?? 20261201);
const RUNS = Number(process.env.RULES_RUNS ?? 1_000);
const ZONE = 'Europe/Kyiv';

const catalogOf = (rules: readonly CatalogRule[]): Catalog => ({
  rules,
  achievements: new Map(
    rules.flatMap((rule) => rule.levels.map((level) => [level.achievementId, { rule, level }])),
  ),
});

/** The rules a backfill can replay: repeating rules and composites cannot be backfilled yet. */
const wide = catalogOf(wideCatalog().rules.filter((rule) => !backfillNotBuilt(rule)));

function run(progress: ClientProgress, events: InputEvent[], catalog: Catalog) {
  const unlocked: string[] = [];
  for (const event of events) {
    const decision = decide(progress, event, catalog, ZONE);
    progress = decision.progress;
    unlocked.push(...decision.unlocked.map((u) => u.achievementId));
  }
  return { progress, unlocked };
}

const unlocksOf = (progress: ClientProgress, rule: CatalogRule) =>
  Object.fromEntries(
    rule.levels.flatMap((level) => {
      const record = progress.unlocked[level.achievementId];
      return record ? [[level.achievementId, record]] : [];
    }),
  );

describe('a backfill merged into live progress at a cut (fast-check)', () => {
  it('leaves the rule as if it had been live from the start: the same unlocks, at the same times', () => {
    console.log(`backfill merge property test: seed ${SEED}, ${RUNS} histories`);
    let compared = 0;
    fc.assert(
      fc.property(scenario, fc.nat(wide.rules.length - 1), fc.nat(), fc.nat(), (s, pick, a, n) => {
        const events = arrivals(s);
        const rule = wide.rules[pick]!;
        const withRule = wide;
        const withoutRule = catalogOf(wide.rules.filter((other) => other !== rule));
        // The rule is activated before record `activation` and the backfill merges before record `cut`.
        const cut = n % (events.length + 1);
        const activation = a % (cut + 1);

        const before = run(initialProgress(), events.slice(0, activation), withoutRule);
        const since = run(before.progress, events.slice(activation, cut), withRule);
        const replayed = run(initialProgress(), events.slice(0, cut), catalogOf([rule]));
        const merged = mergeReplayed('c-1', since.progress, replayed.progress, rule, new Set(since.unlocked));
        const after = run(merged.progress, events.slice(cut), withRule);

        const throughout = run(initialProgress(), events, withRule);
        expect(unlocksOf(after.progress, rule)).toEqual(unlocksOf(throughout.progress, rule));
        compared += Object.keys(unlocksOf(throughout.progress, rule)).length;
      }),
      { seed: SEED, numRuns: RUNS },
    );
    console.log(`backfill merge property test: ${compared} unlocks compared`);
  }, 600_000);
});
