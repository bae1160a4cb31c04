import { calendarPeriod } from './calendar.js';
import type { CatalogRule } from './catalog.js';
import type { AchievementUnlocked } from './decide.js';
import type { Entry } from './entries.js';
import { measureKind, type MeasureKind } from './measures.js';
import type { RepeatRecord, UnlockRecord } from './progress.js';
import { earnedAgain } from './repeats.js';
import type { RuleLevel } from './rule-schema.js';
import type { WindowKind } from './windows.js';

declare module './progress.js' {
  // Declared here, where it is set, since this change could not reach progress.ts; it belongs with the rest.
  interface RepeatRecord {
    /**
     * When it was first earned: the earliest occurrence of the record that first earned it, the time a follow-up
     * of it counts from (see follow-ups.ts). Absent in records written before it was kept.
     */
    firstAt?: string;
  }
}

/** What a client has earned: achievements unlocked once, and repeating ones' earnings. */
export interface Earned {
  unlocked: Record<string, UnlockRecord>;
  repeats: Record<string, RepeatRecord> | undefined;
}

/** Where a counted event is measured, for `earnLevels`. */
export interface Measured {
  read: Entry[];
  /** The counted event: its id and client, and its time. */
  event: { id: string; clientId: string; timeMs: number };
  horizonMs: number;
  window: WindowKind;
  zone: string;
}

export function unlockOf(
  rule: CatalogRule,
  level: RuleLevel,
  event: Measured['event'],
  at: string,
  occurrence: string | undefined,
): AchievementUnlocked {
  return {
    type: 'AchievementUnlocked',
    clientId: event.clientId,
    achievementId: level.achievementId,
    ruleId: rule.id,
    ruleVersion: rule.version,
    points: level.points,
    partnerId: level.partner,
    unlockedAt: at,
    sourceEventId: event.id,
    ...(occurrence !== undefined ? { occurrence } : {}),
  };
}

/**
 * The occurrences of a repeating level that a measure at `atMs` earns, pushed to `found`; the earnings after
 * them, the level's first earning kept (or, on its first, set).
 */
function earnRepeat(
  rule: CatalogRule,
  level: RuleLevel,
  repeats: Earned['repeats'],
  at: Measured & { atMs: number; measure: MeasureKind },
  found: AchievementUnlocked[],
): Earned['repeats'] {
  const before = repeats?.[level.achievementId];
  const again = earnedAgain(
    before,
    { every: rule.repeat!.every, level, entries: at.read, ...at },
    at.event.id,
  );
  if (!again) return repeats;
  const firstAt = before ? before.firstAt : new Date(again.earned[0]!.atMs).toISOString();
  const record = firstAt === undefined ? again.record : { ...again.record, firstAt };
  for (const { occurrence, atMs } of again.earned)
    found.push(unlockOf(rule, level, at.event, new Date(atMs).toISOString(), occurrence));
  return { ...repeats, [level.achievementId]: record };
}

/** The earnings with a level unlocked at `reachedAt` by the measured event, pushed to `found`. */
function unlockLevel(
  rule: CatalogRule,
  level: RuleLevel,
  unlocked: Earned['unlocked'],
  at: { event: Measured['event']; reachedAt: number },
  found: AchievementUnlocked[],
): Earned['unlocked'] {
  const time = new Date(at.reachedAt).toISOString();
  found.push(unlockOf(rule, level, at.event, time, undefined));
  return { ...unlocked, [level.achievementId]: { at: time, sourceEventId: at.event.id } };
}

/**
 * The levels of a rule that a counted event unlocks, or earns again when the rule repeats (see repeats.ts),
 * pushed to `found` in order; the earnings after them.
 */
export function earnLevels(
  rule: CatalogRule,
  earned: Earned,
  at: Measured,
  found: AchievementUnlocked[],
): Earned {
  const measure = measureKind(rule.measure);
  let { unlocked, repeats } = earned;
  for (const level of rule.levels) {
    if (rule.repeat) {
      repeats = earnRepeat(rule, level, repeats, { ...at, atMs: at.event.timeMs, measure }, found);
      continue;
    }
    if (Object.hasOwn(unlocked, level.achievementId)) continue;
    const reachedAt = at.window.reachedAt(at.read, at.event.timeMs, level.target, measure, at.zone);
    if (reachedAt === undefined) continue;
    unlocked = unlockLevel(rule, level, unlocked, { event: at.event, reachedAt }, found);
  }
  return { unlocked, repeats };
}

/**
 * The levels a rule reaches in any of its windows, as when a follow-up's prerequisite is first held and every
 * window it has is new to it: each level at the earliest time one reached its target; a repeating level earns
 * each calendar period holding an entry that reaches it, in time order (or each multiple its lifetime measure
 * reaches). Pushed to `found` in that order; the earnings after them. Ask it once per record: a period older
 * than a record on time could reach is forgotten once earned.
 */
export function earnInAnyWindow(
  rule: CatalogRule,
  earned: Earned,
  at: Measured,
  found: AchievementUnlocked[],
): Earned {
  const measure = measureKind(rule.measure);
  let { unlocked, repeats } = earned;
  const every = rule.repeat?.every;
  for (const level of rule.levels) {
    if (every === 'target') {
      repeats = earnRepeat(rule, level, repeats, { ...at, atMs: at.event.timeMs, measure }, found);
    } else if (every !== undefined) {
      // One measure per period: at the first entry of each, in time order.
      let period: number | undefined;
      for (const entry of at.read) {
        const of = calendarPeriod(entry.timeMs, every, at.zone);
        if (of === period) continue;
        period = of;
        repeats = earnRepeat(rule, level, repeats, { ...at, atMs: entry.timeMs, measure }, found);
      }
    } else if (!Object.hasOwn(unlocked, level.achievementId)) {
      const reachedAt = at.window.firstReached(at.read, level.target, measure, at.zone);
      if (reachedAt !== undefined)
        unlocked = unlockLevel(rule, level, unlocked, { event: at.event, reachedAt }, found);
    }
  }
  return { unlocked, repeats };
}
