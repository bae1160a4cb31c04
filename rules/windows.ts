import { calendarPeriod, localDay, type CalendarUnit } from './calendar.js';
import type { Entry } from './entries.js';
import type { MeasureKind } from './measures.js';
import { LATENESS_MS } from './progress.js';
import type { Rule } from './rule-schema.js';

/**
 * Where a rule's measure is taken: which entries can still matter, when a target was first reached, and what the
 * app shows now. One per window type, and one for streaks, whose windows are runs of days.
 */
export interface WindowKind {
  /** Whether an entry of that time can still change an achievement once the newest record is dated `horizonMs`. */
  keeps(horizonMs: number, zone: string): (timeMs: number) => boolean;
  /**
   * The earliest time the measure reached `target` in a window holding `atMs`, given the entries in time order;
   * undefined when no such window reaches it. A window without `atMs` has not changed, so it need not be looked at.
   */
  reachedAt(
    entries: Entry[],
    atMs: number,
    target: number,
    measure: MeasureKind,
    zone: string,
  ): number | undefined;
  /**
   * The earliest time the measure reached `target` in any window of `entries` (in time order); undefined when
   * none does. Asked when every window changed at once: a follow-up's, as its prerequisite is first held.
   */
  firstReached(entries: Entry[], target: number, measure: MeasureKind, zone: string): number | undefined;
  /** The measure in the window the app shows at `nowMs`. */
  now(entries: Entry[], nowMs: number, measure: MeasureKind, zone: string): number;
  /** How far before a moment the events that share a window with it can lie; undefined when without bound. */
  readonly spanMs: number | undefined;
}

const DAY_MS = 86_400_000;
/** The longest calendar period of each unit: a day, a week, a month of 31 days, a quarter of 92, a leap year. */
const LONGEST_PERIOD_MS = {
  day: DAY_MS,
  week: 7 * DAY_MS,
  month: 31 * DAY_MS,
  quarter: 92 * DAY_MS,
  year: 366 * DAY_MS,
} as const;

/**
 * The time of the entry with which the measure of `entries[from, to)` (in time order) first reaches `target`.
 * A range, not a slice: asked per event and level on the hot path.
 */
function crossing(
  entries: Entry[],
  measure: MeasureKind,
  target: number,
  from = 0,
  to = entries.length,
): number | undefined {
  const running = measure.running();
  for (let i = from; i < to; i++) {
    running.add(entries[i]!);
    if (running.value() >= target) return entries[i]!.timeMs;
  }
  return undefined;
}

/** The first index in `[from, entries.length)` whose entry `isAtOrAfter` accepts (it accepts a suffix). */
function firstAtOrAfter(entries: Entry[], isAtOrAfter: (entry: Entry) => boolean, from = 0): number {
  let low = from;
  let high = entries.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (isAtOrAfter(entries[middle]!)) high = middle;
    else low = middle + 1;
  }
  return low;
}

function total(entries: Entry[], measure: MeasureKind): number {
  const running = measure.running();
  for (const entry of entries) running.add(entry);
  return running.value();
}

const lifetime: WindowKind = {
  spanMs: undefined,
  keeps: () => () => true,
  reachedAt: (entries, _atMs, target, measure) => crossing(entries, measure, target),
  firstReached: (entries, target, measure) => crossing(entries, measure, target),
  now: (entries, _nowMs, measure) => total(entries, measure),
};

function calendar(unit: CalendarUnit): WindowKind {
  // Periods only grow with time, so a period's entries are one run of the time-ordered entries: found by two
  // binary searches, not by reading the period of every entry (asked per event and level on the hot path).
  const runOfPeriod = (entries: Entry[], atMs: number, zone: string): [number, number] => {
    const period = calendarPeriod(atMs, unit, zone);
    const from = firstAtOrAfter(entries, (entry) => calendarPeriod(entry.timeMs, unit, zone) >= period);
    const to = firstAtOrAfter(entries, (entry) => calendarPeriod(entry.timeMs, unit, zone) > period, from);
    return [from, to];
  };
  return {
    spanMs: LONGEST_PERIOD_MS[unit],
    keeps: (horizonMs, zone) => {
      const oldest = calendarPeriod(horizonMs - LATENESS_MS, unit, zone);
      return (timeMs) => calendarPeriod(timeMs, unit, zone) >= oldest;
    },
    reachedAt: (entries, atMs, target, measure, zone) =>
      crossing(entries, measure, target, ...runOfPeriod(entries, atMs, zone)),
    firstReached: (entries, target, measure, zone) => {
      // Periods in time order: the first whose entries reach the target reached it first.
      for (let from = 0; from < entries.length;) {
        const period = calendarPeriod(entries[from]!.timeMs, unit, zone);
        let to = from;
        while (to < entries.length && calendarPeriod(entries[to]!.timeMs, unit, zone) === period) to++;
        const reached = crossing(entries, measure, target, from, to);
        if (reached !== undefined) return reached;
        from = to;
      }
      return undefined;
    },
    now: (entries, nowMs, measure, zone) => {
      const [from, to] = runOfPeriod(entries, nowMs, zone);
      return total(entries.slice(from, to), measure);
    },
  };
}

/**
 * Slides a rolling window's end over the entry times from `fromMs` to `untilMs`, adding entries as the end passes
 * them and removing them as the start does; the first end where the target is met is the answer.
 */
function slide(
  entries: Entry[],
  span: { fromMs: number; untilMs: number; duration: number },
  target: number,
  measure: MeasureKind,
): number | undefined {
  const running = measure.running();
  // Entries older than the first window's start would be added only to be removed at once: they are skipped.
  let start = firstAtOrAfter(entries, (entry) => entry.timeMs >= span.fromMs - span.duration);
  let end = start;
  while (end < entries.length && entries[end]!.timeMs < span.fromMs) running.add(entries[end++]!);
  while (end < entries.length && entries[end]!.timeMs <= span.untilMs) {
    const at = entries[end]!.timeMs;
    while (end < entries.length && entries[end]!.timeMs === at) running.add(entries[end++]!);
    while (entries[start]!.timeMs < at - span.duration) running.remove(entries[start++]!);
    if (running.value() >= target) return at;
  }
  return undefined;
}

/** Windows `[t - duration, t]`, both ends included. */
function rolling(duration: number): WindowKind {
  return {
    spanMs: duration,
    keeps: (horizonMs) => (timeMs) => timeMs >= horizonMs - LATENESS_MS - duration,
    reachedAt: (entries, atMs, target, measure) =>
      slide(entries, { fromMs: atMs, untilMs: atMs + duration, duration }, target, measure),
    firstReached: (entries, target, measure) =>
      slide(entries, { fromMs: -Infinity, untilMs: Infinity, duration }, target, measure),
    now: (entries, nowMs, measure) =>
      total(
        entries.filter((entry) => entry.timeMs >= nowMs - duration && entry.timeMs <= nowMs),
        measure,
      ),
  };
}

/** Days with an event not all refunded, each with its earliest such time. */
function daysOf(entries: Entry[], zone: string): Map<number, number> {
  const days = new Map<number, number>();
  for (const entry of entries) {
    if (entry.remaining <= 0) continue;
    const day = localDay(entry.timeMs, zone);
    if (!days.has(day)) days.set(day, entry.timeMs);
  }
  return days;
}

/** The run of consecutive days ending on `day`: its length, 0 when `day` itself has no event. */
function runEndingOn(days: Map<number, number>, day: number): number {
  let length = 0;
  while (days.has(day - length)) length++;
  return length;
}

/** Consecutive calendar days; `longest` is the longest run any level asks for. */
function streak(longest: number): WindowKind {
  return {
    // A run of consecutive days has no bound.
    spanMs: undefined,
    keeps: (horizonMs, zone) => {
      const oldest = localDay(horizonMs - LATENESS_MS, zone) - (longest - 1);
      return (timeMs) => localDay(timeMs, zone) >= oldest;
    },
    reachedAt: (entries, atMs, target, _measure, zone) => {
      const days = daysOf(entries, zone);
      const day = localDay(atMs, zone);
      if (!days.has(day)) return undefined;
      let first = day;
      let last = day;
      while (days.has(first - 1)) first--;
      while (days.has(last + 1)) last++;
      if (last - first + 1 < target) return undefined;
      // The run first reached the target on its target-th day, or on `day` if that run did not hold it yet.
      return days.get(Math.max(day, first + target - 1));
    },
    firstReached: (entries, target, _measure, zone) => {
      // Days in time order: the first to end a run of `target` days.
      const days = daysOf(entries, zone);
      for (const [day, timeMs] of days) if (runEndingOn(days, day) >= target) return timeMs;
      return undefined;
    },
    now: (entries, nowMs, _measure, zone) => {
      const days = daysOf(entries, zone);
      const today = localDay(nowMs, zone);
      return Math.max(runEndingOn(days, today), runEndingOn(days, today - 1));
    },
  };
}

function windowOf(rule: Rule): WindowKind {
  if (rule.measure.type === 'streak') return streak(rule.levels.at(-1)!.target);
  switch (rule.window.type) {
    case 'lifetime':
      return lifetime;
    case 'calendar':
      return calendar(rule.window.unit);
    case 'rolling':
      return rolling(rule.window.duration);
  }
}

/** Made once per rule (rules are immutable): asked for on every event a rule counts. */
const windows = new WeakMap<Rule, WindowKind>();

export function windowKind(rule: Rule): WindowKind {
  let kind = windows.get(rule);
  if (!kind) windows.set(rule, (kind = windowOf(rule)));
  return kind;
}
