import { calendarPeriod, type CalendarUnit } from './calendar.js';
import type { Entry } from './entries.js';
import type { MeasureKind } from './measures.js';
import { LATENESS_MS, type RepeatRecord } from './progress.js';
import type { RuleLevel, RuleRepeat } from './rule-schema.js';
import type { WindowKind } from './windows.js';

/**
 * Repeating achievements (a rule's `repeat`). Earned once in each calendar period of the rule's window, or each
 * time the lifetime measure reaches another multiple of the target; each earning is an occurrence with its own
 * unlock. As any unlock, an occurrence earned stays earned whatever a later refund takes back, and a late
 * record counts towards the period (or multiple) its time and the other records give it.
 */

/** One occurrence a record's arrival earned: its label and when its target was reached, in event time. */
export interface Occurrence {
  occurrence: string;
  atMs: number;
}

const DAY_MS = 86_400_000;

/** Year and month (1–12) of a month number since January 1970. */
const yearMonth = (month: number) => ({ year: 1970 + Math.floor(month / 12), month: (month % 12) + 1 });

/** ISO 8601's week-year and week of a week number since the one holding 1970-01-01 (weeks from Monday). */
function isoWeek(week: number): string {
  // The week's Thursday decides its year; day 0 was a Thursday, so the Thursday of week w is day 7w.
  const thursday = new Date(week * 7 * DAY_MS);
  const year = thursday.getUTCFullYear();
  const weekOfYear = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * DAY_MS)) + 1;
  return `${year}-W${String(weekOfYear).padStart(2, '0')}`;
}

/** The label of a calendar period, as people write it: 2026-W47, 2026-11, 2026-Q4, 2026. */
export function periodLabel(period: number, unit: Exclude<RuleRepeat['every'], 'target'>): string {
  switch (unit) {
    case 'week':
      return isoWeek(period);
    case 'month': {
      const { year, month } = yearMonth(period);
      return `${year}-${String(month).padStart(2, '0')}`;
    }
    case 'quarter':
      return `${1970 + Math.floor(period / 4)}-Q${(period % 4) + 1}`;
    case 'year':
      return String(1970 + period);
  }
}

/** What the level's measure needs, the entries it reads, and the record's arrival, for `earnedAgain`. */
export interface RepeatContext {
  every: RuleRepeat['every'];
  level: RuleLevel;
  entries: Entry[];
  atMs: number;
  horizonMs: number;
  window: WindowKind;
  measure: MeasureKind;
  zone: string;
}

/** The occurrences the arrival earns of a level repeating per calendar period, at most its own period's. */
function earnedInPeriod(record: RepeatRecord | undefined, ctx: RepeatContext, unit: CalendarUnit) {
  const period = calendarPeriod(ctx.atMs, unit, ctx.zone);
  if (record?.open.includes(period)) return undefined;
  const atMs = ctx.window.reachedAt(ctx.entries, ctx.atMs, ctx.level.target, ctx.measure, ctx.zone);
  if (atMs === undefined) return undefined;
  // Periods that end before a record could still be on time can no longer change: forgotten.
  const oldest = calendarPeriod(ctx.horizonMs - LATENESS_MS, unit, ctx.zone);
  return {
    open: [...(record?.open ?? []).filter((open) => open >= oldest), period],
    earned: [{ occurrence: periodLabel(period, unit as Exclude<RuleRepeat['every'], 'target'>), atMs }],
  };
}

/** The occurrences the arrival earns of a level repeating at each multiple of its target: maybe several. */
function earnedAtMultiples(record: RepeatRecord | undefined, ctx: RepeatContext) {
  const earned: Occurrence[] = [];
  for (let times = (record?.times ?? 0) + 1; ; times++) {
    const atMs = ctx.window.reachedAt(ctx.entries, ctx.atMs, times * ctx.level.target, ctx.measure, ctx.zone);
    if (atMs === undefined) break;
    earned.push({ occurrence: String(times), atMs });
  }
  return earned.length > 0 ? { open: [], earned } : undefined;
}

/**
 * The occurrences of a repeating level a record's arrival earns, in order, and the level's record after them;
 * undefined when it earns none.
 */
export function earnedAgain(
  record: RepeatRecord | undefined,
  ctx: RepeatContext,
  sourceEventId: string,
): { record: RepeatRecord; earned: Occurrence[] } | undefined {
  const found =
    ctx.every === 'target' ? earnedAtMultiples(record, ctx) : earnedInPeriod(record, ctx, ctx.every);
  if (!found) return undefined;
  const last = found.earned.at(-1)!;
  return {
    earned: found.earned,
    record: {
      times: (record?.times ?? 0) + found.earned.length,
      open: found.open,
      last: { occurrence: last.occurrence, at: new Date(last.atMs).toISOString(), sourceEventId },
    },
  };
}
