import type { Achievement } from './catalog.js';
import type { ClientProgress } from './progress.js';
import { STRIDE } from './entries.js';

/**
 * Every zone's offset is a whole number of quarter hours, so a local midnight, and with it every calendar day,
 * week, month, quarter and year and every streak day, begins on a quarter hour of UTC.
 */
const QUARTER_HOUR_MS = 15 * 60_000;

/** The first instant after `nowMs` in `times`, or Infinity. */
const firstAfter = (nowMs: number, times: Iterable<number>) => {
  let first = Infinity;
  for (const time of times) if (time > nowMs && time < first) first = time;
  return first;
};

/** Times at which a rolling window's measure can change: an entry dated ahead comes in, one leaves it. */
function* rollingChanges(flat: readonly number[], durationMs: number) {
  for (let i = 1; i < flat.length; i += STRIDE) {
    yield flat[i]!;
    yield flat[i]! + durationMs + 1;
  }
}

/**
 * Until when the app's view of these achievements (`viewOf`) stays what it is at `nowMs` for this progress: a
 * conservative bound, never later than the first instant the view can change. A campaign opens or ends; a
 * calendar or streak window turns over (at a local midnight, so at a quarter hour of UTC); an entry enters or
 * leaves a rolling window. A lifetime measure, a composite's and a settled rule's do not change with time.
 */
export function viewStableUntil(
  achievements: Iterable<Achievement>,
  progress: ClientProgress,
  nowMs: number,
): number {
  let until = Infinity;
  const nextQuarterHour = (Math.floor(nowMs / QUARTER_HOUR_MS) + 1) * QUARTER_HOUR_MS;
  for (const { rule } of achievements) {
    const schedule = rule.schedule;
    if (schedule)
      until = Math.min(
        until,
        firstAfter(
          nowMs,
          [schedule.startsAt, schedule.endsAt].flatMap((at) => (at ? [Date.parse(at)] : [])),
        ),
      );
    if (rule.measure.type === 'streak' || rule.window.type === 'calendar')
      until = Math.min(until, nextQuarterHour);
    else if (rule.window.type === 'rolling') {
      const flat = progress.rules[rule.progressKey]?.entries ?? [];
      until = Math.min(until, firstAfter(nowMs, rollingChanges(flat, rule.window.duration)));
    }
  }
  return until;
}
