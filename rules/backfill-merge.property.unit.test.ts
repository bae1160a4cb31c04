import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arrivals, scenario } from '../test/support/client-histories.js';
import { wideCatalog } from '../test/support/wide-catalog.js';
import { backfillNotBuilt } from './rule-book.js';
import { earningKey, mergeReplayed } from './backfill-merge.js';
import { knowingAchievementsOf, type Catalog, type CatalogRule } from './catalog.js';
import { decide, type AchievementUnlocked } from './decide.js';
import type { InputEvent } from './events.js';
import type { Holding } from './holdings.js';
import { initialProgress, type ClientProgress, type UnlockRecord } from './progress.js';
import { prerequisitesOf, Replay } from './replay.js';

const SEED = Number(process.env.RULES_SEED ?? 20261201);
const RUNS = Number(process.env.RULES_RUNS ?? 1_000);
const ZONE = 'Europe/Kyiv';

const catalogOf = (rules: readonly CatalogRule[]): Catalog => ({
  rules,
  achievements: new Map(
    rules.flatMap((rule) => rule.levels.map((level) => [level.achievementId, { rule, level }])),
  ),
});

/** The rules a backfill can replay: rules capped with a group cannot be backfilled yet. */
const wide = wideCatalog();
const backfillable = wide.rules.filter((rule) => !backfillNotBuilt(rule));

/** Runs the events through decide; what each record unlocked, by its index. */
function run(progress: ClientProgress, events: InputEvent[], catalog: Catalog) {
  const unlocked: AchievementUnlocked[] = [];
  const byRecord: AchievementUnlocked[][] = [];
  for (const event of events) {
    const decision = decide(progress, event, catalog, ZONE);
    progress = decision.progress;
    unlocked.push(...decision.unlocked);
    byRecord.push(decision.unlocked);
  }
  return { progress, unlocked, byRecord };
}

/**
 * The rule replayed alone over the events, given on each record what live processing earned on it of the
 * achievements the rule reads (a composite's, a follow-up's prerequisite), as a backfill's replay is.
 */
function replayOf(events: InputEvent[], rule: CatalogRule, liveByRecord: AchievementUnlocked[][]) {
  const replay = new Replay(knowingAchievementsOf(catalogOf([rule]), wide), ZONE);
  const reads = new Set(prerequisitesOf(rule));
  events.forEach((event, i) => {
    const brought = liveByRecord[i]!.filter((unlock) => reads.has(unlock.achievementId)).map(
      ({ achievementId, occurrence, unlockedAt, sourceEventId }): Holding => ({
        achievementId,
        ...(occurrence !== undefined ? { occurrence } : {}),
        at: unlockedAt,
        sourceEventId,
      }),
    );
    replay.apply(event, brought.length > 0 ? { brought } : {});
  });
  return replay.takeChanged()[0]?.[1] ?? { progress: initialProgress(), earnings: [] };
}

/**
 * Each earning of the rule's achievements (each occurrence of a repeating one) by key: when, by what, and the
 * points it carries (fewer where a cap left fewer).
 */
const earningsOf = (unlocks: AchievementUnlocked[], rule: CatalogRule) =>
  new Map(
    unlocks
      .filter((unlock) => unlock.ruleId === rule.id)
      .map((u): [string, UnlockRecord & { points: number }] => [
        earningKey(u.achievementId, u.occurrence),
        { at: u.unlockedAt, sourceEventId: u.sourceEventId, points: u.points },
      ]),
  );

const timesOf = (progress: ClientProgress, rule: CatalogRule) =>
  rule.levels.map((level) => progress.repeats?.[level.achievementId]?.times ?? 0);

const unlocksOf = (progress: ClientProgress, rule: CatalogRule) =>
  Object.fromEntries(
    rule.levels.flatMap((level) => {
      const record = progress.unlocked[level.achievementId];
      return record ? [[level.achievementId, record]] : [];
    }),
  );

describe('a backfill merged into live progress at a cut (fast-check)', () => {
  it('leaves the rule as if it had been live from the start: the same unlocks and occurrences, at the same times', () => {
    console.log(`backfill merge property test: seed ${SEED}, ${RUNS} histories`);
    let compared = 0;
    fc.assert(
      fc.property(scenario, fc.nat(backfillable.length - 1), fc.nat(), fc.nat(), (s, pick, a, n) => {
        const events = arrivals(s);
        const rule = backfillable[pick]!;
        const withRule = wide;
        const withoutRule = catalogOf(wide.rules.filter((other) => other !== rule));
        // The rule is activated before record `activation` and the backfill merges before record `cut`.
        const cut = n % (events.length + 1);
        const activation = a % (cut + 1);

        const before = run(initialProgress(), events.slice(0, activation), withoutRule);
        const since = run(before.progress, events.slice(activation, cut), withRule);
        const replayed = replayOf(events.slice(0, cut), rule, [...before.byRecord, ...since.byRecord]);
        const earnedLive = earningsOf(since.unlocked, rule);
        const live = { underVersion: earnedLive, held: new Set(earnedLive.keys()) };
        const merged = mergeReplayed('c-1', since.progress, replayed, rule, live, ZONE);
        const after = run(merged.progress, events.slice(cut), withRule);

        const throughout = run(initialProgress(), events, withRule);
        expect(unlocksOf(after.progress, rule)).toEqual(unlocksOf(throughout.progress, rule));
        expect(timesOf(after.progress, rule)).toEqual(timesOf(throughout.progress, rule));
        const earned = new Map([
          ...earnedLive,
          ...earningsOf([...merged.corrected, ...merged.found, ...after.unlocked], rule),
        ]);
        expect(earned).toEqual(earningsOf(throughout.unlocked, rule));
        compared += earned.size;
      }),
      { seed: SEED, numRuns: RUNS },
    );
    console.log(`backfill merge property test: ${compared} unlocks compared`);
  }, 600_000);
});
