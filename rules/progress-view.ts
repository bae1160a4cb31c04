import { inAudience, type ClientContext } from './audience.js';
import { heldTimes, isComposite } from './composites.js';
import type { Achievement, Catalog, CatalogRule } from './catalog.js';
import { readEntries } from './entries.js';
import { fromStart, startOf } from './follow-ups.js';
import { measureKind } from './measures.js';
import type { ClientProgress } from './progress.js';
import { refundedAmounts } from './refunds.js';
import { windowKind } from './windows.js';

/** When an achievement can be earned: its rule's campaign window (`schedule`), as of the moment asked. */
export interface Availability {
  state: 'upcoming' | 'open' | 'ended';
  from: string | null;
  until: string | null;
}

export interface AchievementView {
  id: string;
  unlocked: boolean;
  unlockedAt: string | null;
  progress: { current: number; target: number };
  availability: Availability;
  /** How often it was earned: 0 or 1, or any number for one that repeats. */
  timesEarned: number;
  /** How it is earned again (`month`, `target` …), or null when it is earned once. */
  repeats: string | null;
}

/** Whether the rule's campaign has begun or ended at `nowMs`; a rule without start or end is always open. */
export function availabilityOf(rule: CatalogRule, nowMs: number): Availability {
  const from = rule.schedule?.startsAt ?? null;
  const until = rule.schedule?.endsAt ?? null;
  const state =
    from !== null && nowMs < Date.parse(from)
      ? 'upcoming'
      : until !== null && nowMs >= Date.parse(until)
        ? 'ended'
        : 'open';
  return {
    state,
    from: from && new Date(from).toISOString(),
    until: until && new Date(until).toISOString(),
  };
}

/**
 * A rule's measure in the window the app shows at `atMs`; a rule whose levels are all unlocked shows its top,
 * and a follow-up counts only the events dated from its start (none before the client holds its prerequisite).
 */
export function measureAt(rule: CatalogRule, progress: ClientProgress, atMs: number, zone: string): number {
  if (!rule.repeat && rule.levels.every((level) => Object.hasOwn(progress.unlocked, level.achievementId)))
    return rule.levels.at(-1)!.target;
  const earned = { unlocked: progress.unlocked, repeats: progress.repeats };
  if (isComposite(rule)) return heldTimes(rule, earned).length;
  const startMs = startOf(rule, earned);
  if (startMs === undefined) return 0;
  const flat = progress.rules[rule.progressKey]?.entries ?? [];
  const entries = fromStart(readEntries(flat, refundedAmounts(progress.refunds)), startMs);
  return windowKind(rule).now(entries, atMs, measureKind(rule.measure), zone);
}

/**
 * The achievements a client sees: those of live rules whose audience holds the client, and any it earned under
 * a rule no longer live (or no longer for it), which stay its own.
 */
export function achievementsShown(
  live: Catalog,
  everLive: Catalog,
  progress: ClientProgress,
  client: ClientContext,
): Achievement[] {
  const shown = [...live.achievements.values()].filter(({ rule }) => inAudience(rule, progress, client));
  const ids = new Set(shown.map(({ level }) => level.achievementId));
  const earned = [...Object.keys(progress.unlocked), ...Object.keys(progress.repeats ?? {})]
    .filter((id) => !ids.has(id))
    .flatMap((id) => everLive.achievements.get(id) ?? []);
  return [...shown, ...earned];
}

/**
 * How far a client is towards a repeating achievement now: the current period's measure, or what the lifetime
 * measure holds towards the next multiple of the target.
 */
function repeatingView(achievement: Achievement, progress: ClientProgress, nowMs: number, zone: string) {
  const { rule, level } = achievement;
  const record = progress.repeats?.[level.achievementId];
  const times = record?.times ?? 0;
  const measured = measureAt(rule, progress, nowMs, zone);
  const current = rule.repeat!.every === 'target' ? measured - times * level.target : measured;
  return {
    id: level.achievementId,
    unlocked: times > 0,
    unlockedAt: record?.last.at ?? null,
    progress: { current: Math.max(0, Math.min(current, level.target)), target: level.target },
    availability: availabilityOf(rule, nowMs),
    timesEarned: times,
    repeats: rule.repeat!.every,
  };
}

/** How far a client is towards one achievement now; an unlocked one shows its target reached. */
export function viewOf(
  achievement: Achievement,
  progress: ClientProgress,
  nowMs: number,
  zone: string,
): AchievementView {
  const { rule, level } = achievement;
  if (rule.repeat) return repeatingView(achievement, progress, nowMs, zone);
  const unlock = progress.unlocked[level.achievementId];
  if (unlock) {
    return {
      id: level.achievementId,
      unlocked: true,
      unlockedAt: unlock.at,
      progress: { current: level.target, target: level.target },
      availability: availabilityOf(rule, nowMs),
      timesEarned: 1,
      repeats: null,
    };
  }
  const measured = measureAt(rule, progress, nowMs, zone);
  return {
    id: level.achievementId,
    unlocked: false,
    unlockedAt: null,
    progress: { current: Math.min(measured, level.target), target: level.target },
    availability: availabilityOf(rule, nowMs),
    timesEarned: 0,
    repeats: null,
  };
}
