/**
 * Calendar arithmetic in the bank's time zone, fast enough for the hot path: the zone's UTC offset is looked
 * up once per quarter hour of time (offsets change only on such boundaries) and cached, and days, ISO weeks
 * and months are plain integers. Because the offset belongs to each instant, daylight-saving changes put
 * every event on the day a person in that zone would name.
 */

export type CalendarUnit = 'day' | 'week' | 'month' | 'quarter' | 'year';

const DAY_MS = 86_400_000;
const SLOT_MS = 15 * 60_000;
const MAX_CACHED_SLOTS = 200_000;
const offsetCache = new Map<string, Map<number, number>>();
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let format = formatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    formatters.set(zone, format);
  }
  return format;
}

function computeOffset(instantMs: number, zone: string): number {
  const parts: Record<string, number> = {};
  for (const part of formatter(zone).formatToParts(instantMs)) parts[part.type] = Number(part.value);
  const wall = Date.UTC(parts.year!, parts.month! - 1, parts.day, parts.hour, parts.minute);
  return wall - (instantMs - (instantMs % 60_000));
}

/** The zone's offset from UTC, in ms, at `instantMs`. */
export function zoneOffsetMs(instantMs: number, zone: string): number {
  let slots = offsetCache.get(zone);
  if (!slots) offsetCache.set(zone, (slots = new Map<number, number>()));
  const slot = Math.floor(instantMs / SLOT_MS);
  let offset = slots.get(slot);
  if (offset === undefined) {
    if (slots.size >= MAX_CACHED_SLOTS) slots.clear();
    offset = computeOffset(slot * SLOT_MS, zone);
    slots.set(slot, offset);
  }
  return offset;
}

/** Days since 1970-01-01 of the local calendar date of `instantMs` in `zone`. */
export function localDay(instantMs: number, zone: string): number {
  return Math.floor((instantMs + zoneOffsetMs(instantMs, zone)) / DAY_MS);
}

/** Months since January 1970 of a local day number (Howard Hinnant's civil-from-days). */
function monthOfDay(day: number): number {
  const z = day + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return (year - 1970) * 12 + (month - 1);
}

/**
 * The calendar period (day, ISO week from Monday, month, quarter or year) holding `instantMs`, as a comparable
 * integer: days, weeks, months, quarters or years since the one holding 1970-01-01.
 */
export function calendarPeriod(instantMs: number, unit: CalendarUnit, zone: string): number {
  const day = localDay(instantMs, zone);
  switch (unit) {
    case 'day':
      return day;
    case 'week':
      // Day 0 was a Thursday; shifting by 3 makes every period start on a Monday.
      return Math.floor((day + 3) / 7);
    case 'month':
      return monthOfDay(day);
    case 'quarter':
      return Math.floor(monthOfDay(day) / 3);
    case 'year':
      return Math.floor(monthOfDay(day) / 12);
  }
}

/** The local day of the week of `instantMs` in `zone`: 1 for Monday to 7 for Sunday (ISO 8601). */
export function localWeekday(instantMs: number, zone: string): number {
  // Day 0 was a Thursday (ISO weekday 4).
  return ((((localDay(instantMs, zone) + 3) % 7) + 7) % 7) + 1;
}

/** Minutes since local midnight of `instantMs` in `zone`, the wall clock a person there reads. */
export function localMinuteOfDay(instantMs: number, zone: string): number {
  const local = instantMs + zoneOffsetMs(instantMs, zone);
  return Math.floor((((local % DAY_MS) + DAY_MS) % DAY_MS) / 60_000);
}
