import { localDay, localMinuteOfDay, zoneOffsetMs } from './calendar.js';

/**
 * When a nudge may reach a client (CONTRACT §2, `achievement.progress`): never between 22:00 and 08:00 in the
 * bank's zone (held until 08:00), at most 3 a client a local day, and not at all once it says nothing true.
 * Pure, so the dispatcher (platform/nudge-dispatcher.ts) only applies it.
 */
const QUIET_FROM_MINUTE = 22 * 60;
const QUIET_UNTIL_MINUTE = 8 * 60;
export const MAX_NUDGES_A_DAY = 3;
/** A nudge about an event older than this is about yesterday's progress: it is dropped, not sent late. */
export const STALE_AFTER_MS = 24 * 3_600_000;

const DAY_MS = 86_400_000;

/** The instant the local clock in `zone` next reads 08:00 after `nowMs`, when `nowMs` is in quiet hours. */
export function quietUntil(nowMs: number, zone: string): number | undefined {
  const minute = localMinuteOfDay(nowMs, zone);
  if (minute >= QUIET_UNTIL_MINUTE && minute < QUIET_FROM_MINUTE) return undefined;
  const localMidnight = Math.floor((nowMs + zoneOffsetMs(nowMs, zone)) / DAY_MS) * DAY_MS;
  const wall = localMidnight + (minute >= QUIET_FROM_MINUTE ? DAY_MS : 0) + QUIET_UNTIL_MINUTE * 60_000;
  // The wall time read back through the offset in force then: a night that changes the clocks moves it.
  const guess = wall - zoneOffsetMs(nowMs, zone);
  return wall - zoneOffsetMs(guess, zone);
}

/** The local day a nudge counts against the client's daily allowance. */
export const nudgeDay = (nowMs: number, zone: string) => localDay(nowMs, zone);

export type NudgeVerdict =
  | { action: 'send' }
  | { action: 'hold'; untilMs: number }
  | { action: 'drop'; reason: 'stale' | 'reached' | 'daily-limit' };

/**
 * What to do with a due nudge at `nowMs`: drop one whose achievement the client has reached meanwhile or whose
 * event is stale, hold one in quiet hours, drop one past the day's allowance, and send the rest.
 */
export function nudgeVerdict(
  nudge: { eventAtMs: number; reached: boolean; sentToday: number },
  nowMs: number,
  zone: string,
): NudgeVerdict {
  if (nudge.reached) return { action: 'drop', reason: 'reached' };
  if (nowMs - nudge.eventAtMs > STALE_AFTER_MS) return { action: 'drop', reason: 'stale' };
  const until = quietUntil(nowMs, zone);
  if (until !== undefined) return { action: 'hold', untilMs: until };
  if (nudge.sentToday >= MAX_NUDGES_A_DAY) return { action: 'drop', reason: 'daily-limit' };
  return { action: 'send' };
}
