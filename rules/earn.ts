import type { CatalogRule } from './catalog.js';
import type { AchievementUnlocked } from './decide.js';
import type { Entry } from './entries.js';
import { measureKind } from './measures.js';
import type { RepeatRecord, UnlockRecord } from './progress.js';
import { earnedAgain } from './repeats.js';
import type { RuleLevel } from './rule-schema.js';
import type { WindowKind } from './windows.js';

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
      const again = earnedAgain(
        repeats?.[level.achievementId],
        { every: rule.repeat.every, level, entries: at.read, atMs: at.event.timeMs, ...at, measure },
        at.event.id,
      );
      if (!again) continue;
      repeats = { ...repeats, [level.achievementId]: again.record };
      for (const { occurrence, atMs } of again.earned)
        found.push(unlockOf(rule, level, at.event, new Date(atMs).toISOString(), occurrence));
      continue;
    }
    if (Object.hasOwn(unlocked, level.achievementId)) continue;
    const reachedAt = at.window.reachedAt(at.read, at.event.timeMs, level.target, measure, at.zone);
    if (reachedAt === undefined) continue;
    const time = new Date(reachedAt).toISOString();
    unlocked = { ...unlocked, [level.achievementId]: { at: time, sourceEventId: at.event.id } };
    found.push(unlockOf(rule, level, at.event, time, undefined));
  }
  return { unlocked, repeats };
}
