import { calendarPeriod } from './calendar.js';
import type { Catalog } from './catalog.js';
import type { AchievementUnlocked } from './decide.js';
import type { Holding } from './holdings.js';
import { LATENESS_MS, type ClientProgress } from './progress.js';
import type { RuleCap } from './rule-schema.js';

/**
 * Per-client caps (a rule's `cap`): at most so many points a calendar period from one rule, or from every rule
 * naming the same group. An unlock past the cap still comes, with the points left (maybe none), in the order
 * the engine decides its unlocks. The period is that of the record whose arrival unlocked it, in event time, so
 * a replay of history caps as live processing did.
 *
 * Kept as flat pairs `[period, points, …]` per counter, a counter being a group (or rule) and a period unit;
 * a period is forgotten once no record on time can fall in it.
 */

const counterOf = (ruleId: string, cap: RuleCap) => `${cap.group ?? ruleId}:${cap.per}`;

/** The oldest time a record still on time may bear, for either input topic the client has records of. */
function oldestOnTime(progress: ClientProgress): number {
  const horizons = [progress.transactionsHorizonMs, progress.eventsHorizonMs].filter((ms) => ms > 0);
  return horizons.length > 0 ? Math.min(...horizons) - LATENESS_MS : -Infinity;
}

/**
 * The cap counters without the periods no record on time can fall in any more. What is forgotten depends on
 * the horizons when a capped rule last unlocked, so two orders of the same records may keep different stale
 * periods; none of them can count again.
 */
export function currentCaps(progress: ClientProgress, zone: string): Record<string, number[]> {
  const oldestMs = oldestOnTime(progress);
  if (oldestMs === -Infinity) return { ...progress.caps };
  return Object.fromEntries(
    Object.entries(progress.caps ?? {}).map(([counter, flat]) => {
      const oldest = calendarPeriod(
        oldestMs,
        counter.slice(counter.lastIndexOf(':') + 1) as RuleCap['per'],
        zone,
      );
      return [counter, flat.filter((_, i) => flat[i - (i % 2)]! >= oldest)];
    }),
  );
}

/** The points spent under a counter in a period, and the counters with `points` more spent there. */
function spend(
  caps: Record<string, number[]>,
  counter: string,
  period: number,
  points: (spent: number) => number,
) {
  const kept = caps[counter] ?? [];
  const at = kept.findIndex((value, i) => i % 2 === 0 && value === period);
  const spent = at >= 0 ? kept[at + 1]! : 0;
  const more = points(spent);
  caps[counter] =
    at >= 0 ? kept.map((value, i) => (i === at + 1 ? spent + more : value)) : [...kept, period, more];
  return more;
}

/**
 * The unlocks with their points capped, and the progress with what they spent; the progress as it was when
 * none of them is capped.
 */
export function applyCaps(
  progress: ClientProgress,
  unlocked: AchievementUnlocked[],
  catalog: Catalog,
  eventTimeMs: number,
  zone: string,
): { progress: ClientProgress; unlocked: AchievementUnlocked[] } {
  if (!unlocked.some((unlock) => catalog.achievements.get(unlock.achievementId)?.rule.cap)) {
    return { progress, unlocked };
  }
  const caps = currentCaps(progress, zone);
  const capped = unlocked.map((unlock) => {
    const cap = catalog.achievements.get(unlock.achievementId)?.rule.cap;
    if (!cap) return unlock;
    const period = calendarPeriod(eventTimeMs, cap.per, zone);
    const points = spend(caps, counterOf(unlock.ruleId, cap), period, (spent) =>
      Math.max(0, Math.min(unlock.points, cap.points - spent)),
    );
    return points === unlock.points ? unlock : { ...unlock, points, cappedFrom: unlock.points };
  });
  return { progress: { ...progress, caps }, unlocked: capped };
}

/**
 * The progress with what rules outside the catalog were granted on this record under a cap they share with a
 * group (a replay's `brought` holdings, see holdings.ts): counted before the record's own unlocks take theirs,
 * so a backfilled rule gets what its group's cap left, never more. The progress as it was when none is.
 */
export function withGrants(
  progress: ClientProgress,
  brought: readonly Holding[],
  catalog: Catalog,
  eventTimeMs: number,
  zone: string,
): ClientProgress {
  const shared = brought.flatMap((holding) => {
    const rule = catalog.achievements.get(holding.achievementId)?.rule;
    return rule?.cap?.group !== undefined && holding.points !== undefined
      ? [{ holding, rule, cap: rule.cap }]
      : [];
  });
  if (shared.length === 0) return progress;
  const caps = currentCaps(progress, zone);
  for (const { holding, rule, cap } of shared)
    spend(caps, counterOf(rule.id, cap), calendarPeriod(eventTimeMs, cap.per, zone), () => holding.points!);
  return { ...progress, caps };
}
