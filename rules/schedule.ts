import { localMinuteOfDay, localWeekday } from './calendar.js';
import type { RuleSchedule, Weekday } from './rule-schema.js';

/** Which part of a rule's schedule an event's time falls outside; constants, so the hot path allocates nothing. */
export type ScheduleMismatch = 'not-started' | 'ended' | 'weekday' | 'hours';

const WEEKDAY_NUMBERS: Record<Weekday, number> = { mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6, sun: 7 };

/** The schedule's bounds as instants, parsed once per rule (rules are immutable). */
const bounds = new WeakMap<
  RuleSchedule,
  { startsMs: number; endsMs: number; days: Set<number> | undefined }
>();

function boundsOf(schedule: RuleSchedule) {
  let found = bounds.get(schedule);
  if (!found) {
    found = {
      startsMs: schedule.startsAt ? Date.parse(schedule.startsAt) : -Infinity,
      endsMs: schedule.endsAt ? Date.parse(schedule.endsAt) : Infinity,
      days: schedule.days && new Set(schedule.days.map((day) => WEEKDAY_NUMBERS[day])),
    };
    bounds.set(schedule, found);
  }
  return found;
}

/** Whether a local time of day (minutes since midnight) is within `[from, to)`, which may run past midnight. */
const withinHours = (minute: number, { from, to }: { from: number; to: number }) =>
  from < to ? minute >= from && minute < to : minute >= from || minute < to;

/**
 * The part of the schedule an event dated `timeMs` falls outside, in the bank's zone, or undefined when the
 * event is within it. Event time, not arrival time: a late purchase dated inside a campaign counts.
 */
export function scheduleMismatch(
  schedule: RuleSchedule | undefined,
  timeMs: number,
  zone: string,
): ScheduleMismatch | undefined {
  if (schedule === undefined) return undefined;
  const { startsMs, endsMs, days } = boundsOf(schedule);
  if (timeMs < startsMs) return 'not-started';
  if (timeMs >= endsMs) return 'ended';
  if (days && !days.has(localWeekday(timeMs, zone))) return 'weekday';
  if (schedule.hours && !withinHours(localMinuteOfDay(timeMs, zone), schedule.hours)) return 'hours';
  return undefined;
}
