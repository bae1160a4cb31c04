import type { Transaction } from './events.js';
import { calendarPeriod, localDay, type CalendarUnit } from './calendar.js';
import { keyOf, type RuleProgress } from './progress.js';
import type { Rule } from './rule-schema.js';

/** One remembered event of a rule: its key, its event time and what it adds to the measure. */
export interface Entry {
  key: number;
  timeMs: number;
  value: number;
}

export function entriesOf(progress: RuleProgress): Entry[] {
  const entries: Entry[] = [];
  for (let i = 0; i < progress.entries.length; i += 3) {
    entries.push({
      key: progress.entries[i]!,
      timeMs: progress.entries[i + 1]!,
      value: progress.entries[i + 2]!,
    });
  }
  return entries;
}

export function packEntries(entries: Entry[]): number[] {
  const packed: number[] = [];
  for (const entry of entries) packed.push(entry.key, entry.timeMs, entry.value);
  return packed;
}

/** What a transaction adds to the rule's measure; undefined when it lacks the measured field. */
export function measuredValue(rule: Rule, tx: Transaction): number | undefined {
  const { measure } = rule;
  switch (measure.type) {
    case 'first':
    case 'count':
    case 'streak':
      return 1;
    case 'sum':
      return tx.amount;
    case 'distinct': {
      const field = {
        country: tx.geo?.country,
        merchantId: tx.merchantId,
        categoryId: tx.categoryId,
        currency: tx.currency,
      }[measure.field];
      return field === undefined ? undefined : keyOf(String(field));
    }
  }
}

/**
 * The part of an entry the measure cares about, when one entry per such part is enough: a distinct count
 * needs one event per value and a streak one per day. Keeping only the newest keeps memory flat; taking back
 * that event (a refund) then takes back its value or day even if an older event had it too, which errs on the
 * side of not unlocking until the next such event.
 */
function compactionKey(rule: Rule, entry: Entry, zone: string): number | undefined {
  if (rule.measure.type === 'distinct') return entry.value;
  if (rule.measure.type === 'streak') return localDay(entry.timeMs, zone);
  return undefined;
}

export function addEntry(rule: Rule, entries: Entry[], entry: Entry, zone: string): Entry[] {
  const key = compactionKey(rule, entry, zone);
  if (key === undefined) return [...entries, entry];
  const same = entries.find((other) => compactionKey(rule, other, zone) === key);
  if (!same) return [...entries, entry];
  return same.timeMs >= entry.timeMs ? entries : [...entries.filter((other) => other !== same), entry];
}

/**
 * How late an event may arrive, relative to the newest counted one, and still count: a calendar window
 * accepts the current and the previous period, a rolling window its own length, a streak its own length in
 * days; a lifetime window accepts anything. Entries that no accepted event could ever combine with are dropped.
 */
export function admits(rule: Rule, latestMs: number, timeMs: number, zone: string): boolean {
  const { window, measure, levels } = rule;
  if (measure.type === 'streak')
    return localDay(timeMs, zone) >= localDay(latestMs, zone) - levels.at(-1)!.target;
  switch (window.type) {
    case 'lifetime':
      return true;
    case 'calendar':
      return calendarPeriod(timeMs, window.unit, zone) >= calendarPeriod(latestMs, window.unit, zone) - 1;
    case 'rolling':
      return timeMs >= latestMs - window.duration;
  }
}

export function prune(rule: Rule, entries: Entry[], latestMs: number, zone: string): Entry[] {
  const { window, measure, levels } = rule;
  if (measure.type === 'streak') {
    const oldestDay = localDay(latestMs, zone) - 2 * levels.at(-1)!.target;
    return entries.filter((entry) => localDay(entry.timeMs, zone) >= oldestDay);
  }
  switch (window.type) {
    case 'lifetime':
      return entries;
    case 'calendar': {
      const oldest = calendarPeriod(latestMs, window.unit, zone) - 1;
      return entries.filter((entry) => calendarPeriod(entry.timeMs, window.unit, zone) >= oldest);
    }
    case 'rolling':
      return entries.filter((entry) => entry.timeMs >= latestMs - 2 * window.duration);
  }
}

function aggregate(rule: Rule, entries: Entry[]): number {
  switch (rule.measure.type) {
    case 'sum':
      return entries.reduce((total, entry) => total + entry.value, 0);
    case 'distinct':
      return new Set(entries.map((entry) => entry.value)).size;
    default:
      return entries.length;
  }
}

function aggregateInPeriod(
  rule: Rule,
  entries: Entry[],
  period: number,
  unit: CalendarUnit,
  zone: string,
): number {
  return aggregate(
    rule,
    entries.filter((entry) => calendarPeriod(entry.timeMs, unit, zone) === period),
  );
}

function streakThrough(entries: Entry[], timeMs: number, zone: string): number {
  return streakOn(entries, localDay(timeMs, zone), zone);
}

function streakOn(entries: Entry[], day: number, zone: string): number {
  const days = new Set(entries.map((entry) => localDay(entry.timeMs, zone)));
  if (!days.has(day)) return 0;
  let first = day;
  let last = day;
  while (days.has(first - 1)) first--;
  while (days.has(last + 1)) last++;
  return last - first + 1;
}

/** The best value of the measure over the windows that hold `timeMs` (a window without it cannot have grown). */
export function measureAround(rule: Rule, entries: Entry[], timeMs: number, zone: string): number {
  const { window } = rule;
  if (rule.measure.type === 'streak') return streakThrough(entries, timeMs, zone);
  switch (window.type) {
    case 'lifetime':
      return aggregate(rule, entries);
    case 'calendar':
      return aggregateInPeriod(rule, entries, calendarPeriod(timeMs, window.unit, zone), window.unit, zone);
    case 'rolling': {
      let best = 0;
      for (const start of entries) {
        if (start.timeMs > timeMs || start.timeMs < timeMs - window.duration) continue;
        const inWindow = entries.filter(
          (e) => e.timeMs >= start.timeMs && e.timeMs <= start.timeMs + window.duration,
        );
        best = Math.max(best, aggregate(rule, inWindow));
      }
      return best;
    }
  }
}

/**
 * The measure as a client sees it at `nowMs`: this calendar period, the rolling window ending now, all time,
 * or the streak still alive (through today, or through yesterday when today has no purchase yet).
 */
export function measureNow(rule: Rule, entries: Entry[], nowMs: number, zone: string): number {
  const { window } = rule;
  if (rule.measure.type === 'streak') {
    const today = localDay(nowMs, zone);
    return Math.max(streakOn(entries, today, zone), streakOn(entries, today - 1, zone));
  }
  switch (window.type) {
    case 'lifetime':
      return aggregate(rule, entries);
    case 'calendar':
      return aggregateInPeriod(rule, entries, calendarPeriod(nowMs, window.unit, zone), window.unit, zone);
    case 'rolling':
      return aggregate(
        rule,
        entries.filter((e) => e.timeMs > nowMs - window.duration && e.timeMs <= nowMs),
      );
  }
}
