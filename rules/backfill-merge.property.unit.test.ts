import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arrivals, scenario } from '../test/support/client-histories.js';
import { wideCatalog } from '../test/support/wide-catalog.js';
import { earningKey, mergeReplayed } from './backfill-merge.js';
import { knowingAchievementsOf, type Catalog, type CatalogRule } from './catalog.js';
import { decide, type AchievementUnlocked } from './decide.js';
import type { Holding } from './holdings.js';
import { initialProgress, type ClientProgress, type UnlockRecord } from './progress.js';
import { achievementsReadBy, Replay } from './replay.js';
import { calendarPeriod } from './calendar.js';
import { eventTimeMs, type InputEvent } from './events.js';

const SEED = Number(process.env.RULES_SEED ?? 20261201);
const RUNS = Number(process.env.RULES_RUNS ?? 1_000);
const ZONE = 'Europe/Kyiv';

const catalogOf = (rules: readonly CatalogRule[]): Catalog => ({
  rules,
  achievements: new Map(
    rules.flatMap((rule) => rule.levels.map((level) => [level.achievementId, { rule, level }])),
  ),
});

const wide = wideCatalog();
const sharesCap = (rule: CatalogRule) => rule.cap?.group !== undefined;

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
 * achievements the rule reads (a composite's, a follow-up's prerequisite, its cap group's grants), as a
 * backfill's replay is.
 */
function replayOf(events: InputEvent[], rule: CatalogRule, liveByRecord: AchievementUnlocked[][]) {
  const catalog = knowingAchievementsOf(catalogOf([rule]), wide);
  const replay = new Replay(catalog, ZONE);
  const reads = new Set(achievementsReadBy(rule, catalog));
  events.forEach((event, i) => {
    const brought = liveByRecord[i]!.filter((unlock) => reads.has(unlock.achievementId)).map(
      ({ achievementId, occurrence, unlockedAt, sourceEventId, points }): Holding => ({
        achievementId,
        ...(occurrence !== undefined ? { occurrence } : {}),
        at: unlockedAt,
        sourceEventId,
        points,
      }),
    );
    replay.apply(event, brought.length > 0 ? { brought } : {});
  });
  return replay.takeChanged()[0]?.[1] ?? { progress: initialProgress(), earnings: [] };
}

/**
 * The rule activated before record `activation` of a history and backfilled, its replay merged before record
 * `cut`, live processing going on after it; and the rule live all along.
 */
function backfilled(events: InputEvent[], rule: CatalogRule, activation: number, cut: number) {
  const withoutRule = catalogOf(wide.rules.filter((other) => other !== rule));
  const before = run(initialProgress(), events.slice(0, activation), withoutRule);
  const since = run(before.progress, events.slice(activation, cut), wide);
  const replayed = replayOf(events.slice(0, cut), rule, [...before.byRecord, ...since.byRecord]);
  const earnedLive = earningsOf(since.unlocked, rule);
  const live = { underVersion: earnedLive, held: new Set(earnedLive.keys()) };
  const merged = mergeReplayed('c-1', since.progress, replayed, rule, live, ZONE);
  const after = run(merged.progress, events.slice(cut), wide);
  const throughout = run(initialProgress(), events, wide);
  return { before, since, replayed, merged, after, throughout, earnedLive };
}

/** Which record (its index) made each unlock, as `run` reports them by record, from `first` on. */
const byIndex = (byRecord: AchievementUnlocked[][], first = 0) =>
  byRecord.flatMap((unlocks, i) => unlocks.map((unlock) => ({ unlock, index: first + i })));

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
  const rules = wide.rules.filter((rule) => !sharesCap(rule));
  const sharing = wide.rules.filter(sharesCap);

  it('leaves the rule as if it had been live from the start: the same unlocks and occurrences, at the same times', () => {
    console.log(`backfill merge property test: seed ${SEED}, ${RUNS} histories`);
    let compared = 0;
    fc.assert(
      fc.property(scenario, fc.nat(rules.length - 1), fc.nat(), fc.nat(), (s, pick, a, n) => {
        const events = arrivals(s);
        const rule = rules[pick]!;
        const cut = n % (events.length + 1);
        const { merged, after, throughout, earnedLive } = backfilled(events, rule, a % (cut + 1), cut);
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

  it('of a rule sharing a cap with a group: the same unlocks, and the group never past its cap in any period', () => {
    let compared = 0;
    let capped = 0;
    fc.assert(
      fc.property(scenario, fc.nat(sharing.length - 1), fc.nat(), fc.nat(), (s, pick, a, n) => {
        const events = arrivals(s);
        const rule = sharing[pick]!;
        const cut = n % (events.length + 1);
        const activation = a % (cut + 1);
        const { before, since, replayed, merged, after, throughout, earnedLive } = backfilled(
          events,
          rule,
          activation,
          cut,
        );
        const withoutPoints = (earnings: Map<string, UnlockRecord & { points: number }>) =>
          new Map([...earnings].map(([key, { at, sourceEventId }]) => [key, { at, sourceEventId }]));
        const earned = new Map([
          ...earnedLive,
          ...earningsOf([...merged.corrected, ...merged.found, ...after.unlocked], rule),
        ]);
        expect(withoutPoints(earned)).toEqual(withoutPoints(earningsOf(throughout.unlocked, rule)));
        compared += earned.size;

        // Every grant under the group's cap, in the period of the record that made it.
        const cap = rule.cap!;
        const recordOf = (unlock: AchievementUnlocked) =>
          replayed.earnings.find(
            (e) => e.achievementId === unlock.achievementId && e.occurrence === unlock.occurrence,
          )!.recordAtMs;
        const timeOf = (index: number) => eventTimeMs(events[index]!);
        const grants = [
          ...byIndex([...before.byRecord, ...since.byRecord]).map(({ unlock, index }) => ({
            unlock,
            atMs: timeOf(index),
          })),
          ...merged.found.map((unlock) => ({ unlock, atMs: recordOf(unlock) })),
          ...byIndex(after.byRecord, cut).map(({ unlock, index }) => ({ unlock, atMs: timeOf(index) })),
        ].filter(({ unlock }) => wide.achievements.get(unlock.achievementId)!.rule.cap?.group === cap.group);
        const spent = new Map<number, number>();
        for (const { unlock, atMs } of grants) {
          const period = calendarPeriod(atMs, cap.per, ZONE);
          spent.set(period, (spent.get(period) ?? 0) + unlock.points);
        }
        for (const points of spent.values()) expect(points).toBeLessThanOrEqual(cap.points);
        // A found unlock granted less than its level's points leaves nothing of the cap in its period.
        for (const unlock of merged.found) {
          const level = rule.levels.find((l) => l.achievementId === unlock.achievementId)!;
          if (unlock.points === level.points) continue;
          capped++;
          expect(spent.get(calendarPeriod(recordOf(unlock), cap.per, ZONE))).toBe(cap.points);
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
    console.log(
      `backfill merge property test, caps shared with a group: ${compared} unlocks, ${capped} capped`,
    );
  }, 600_000);
});
