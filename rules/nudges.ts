import { calendarPeriod } from './calendar.js';
import type { Achievement, Catalog } from './catalog.js';
import type { InputEvent } from './events.js';
import { nudgeThreshold } from './nudge-points.js';
import type { ClientProgress } from './progress.js';
import { viewOf } from './progress-view.js';
import { periodLabel } from './repeats.js';

/**
 * Nudges (a level's `nudges`): a client whose progress crosses one of the level's progress points gets one
 * push. This pure step tells which point an event's arrival crossed; the processor stores each once per
 * client, achievement, occurrence and point, and the nudge dispatcher sends it outside quiet hours, a few a day
 * at most (nudge-policy.ts).
 */
export interface ProgressNudged {
  type: 'ProgressNudged';
  clientId: string;
  achievementId: string;
  /** The earning worked towards, for one that repeats: its period (2026-11) or count (3); '' otherwise. */
  occurrence: string;
  /** The measure at which the point nudges, and where the client stands now. */
  threshold: number;
  current: number;
  target: number;
  /** The event whose arrival crossed it, and its time. */
  sourceEventId: string;
  at: string;
}

const nudgingOf = new WeakMap<Catalog, Achievement[]>();

/** The catalog's achievements whose level names progress points (none in most catalogs: no work then). */
function nudging(catalog: Catalog): Achievement[] {
  let found = nudgingOf.get(catalog);
  if (!found) {
    found = [...catalog.achievements.values()].filter(({ level }) => level.nudges);
    nudgingOf.set(catalog, found);
  }
  return found;
}

const eventOf = (event: InputEvent) =>
  event.type === 'TransactionReceived'
    ? { id: event.transaction.id, time: event.transaction.time }
    : { id: event.event.id, time: event.event.time };

/** Which earning of a repeating achievement the client works towards at `atMs`; '' for one earned once. */
function occurrenceAt(achievement: Achievement, timesEarned: number, atMs: number, zone: string): string {
  const every = achievement.rule.repeat?.every;
  if (every === undefined) return '';
  if (every === 'target') return String(timesEarned + 1);
  return periodLabel(calendarPeriod(atMs, every, zone), every);
}

/**
 * The progress points the arrival of `event` crossed, from `before` to `after` (as the app would show them at
 * the event's time): for each achievement, the highest point crossed, none once it is reached (the unlock's
 * push tells then). A refund may take a client back below a point and a later event cross it again: storing
 * each point once per occurrence keeps that from nudging twice.
 */
export function nudgesCrossed(
  before: ClientProgress,
  after: ClientProgress,
  event: InputEvent,
  catalog: Catalog,
  zone: string,
): ProgressNudged[] {
  if (before === after) return [];
  const achievements = nudging(catalog);
  if (achievements.length === 0) return [];
  const { id, time } = eventOf(event);
  const atMs = Date.parse(time);
  return achievements.flatMap((achievement) => {
    const now = viewOf(achievement, after, atMs, zone);
    const { current, target } = now.progress;
    if (current >= target || (!achievement.rule.repeat && now.unlocked)) return [];
    const was = viewOf(achievement, before, atMs, zone);
    // A repeat earned by this very event starts its next earning from nothing.
    const wasCurrent = was.timesEarned === now.timesEarned ? was.progress.current : 0;
    const crossed = achievement.level
      .nudges!.map((point) => nudgeThreshold(point, target))
      .filter((threshold) => wasCurrent < threshold && threshold <= current);
    if (crossed.length === 0) return [];
    return [
      {
        type: 'ProgressNudged' as const,
        clientId: event.type === 'TransactionReceived' ? event.transaction.clientId : event.event.clientId,
        achievementId: achievement.level.achievementId,
        occurrence: occurrenceAt(achievement, now.timesEarned, atMs, zone),
        threshold: Math.max(...crossed),
        current,
        target,
        sourceEventId: id,
        at: new Date(atMs).toISOString(),
      },
    ];
  });
}
