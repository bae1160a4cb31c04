import { describe, expect, it } from 'vitest';
import { calendarPeriod, localDay, zoneOffsetMs } from './calendar.js';

const KYIV = 'Europe/Kyiv';
const at = (iso: string) => Date.parse(iso);

describe('calendar periods in the bank time zone', () => {
  it('knows the Kyiv offset in winter and in summer', () => {
    expect(zoneOffsetMs(at('2026-01-15T12:00:00Z'), KYIV)).toBe(2 * 3_600_000);
    expect(zoneOffsetMs(at('2026-07-15T12:00:00Z'), KYIV)).toBe(3 * 3_600_000);
  });

  it('puts 23:30 UTC on the next local day, as a client in Kyiv sees it', () => {
    expect(localDay(at('2026-11-24T23:30:00Z'), KYIV)).toBe(localDay(at('2026-11-25T10:00:00+02:00'), KYIV));
    expect(localDay(at('2026-11-24T21:59:00Z'), KYIV)).toBe(localDay(at('2026-11-24T10:00:00+02:00'), KYIV));
  });

  it('ends a month at local midnight, not UTC midnight', () => {
    const lastMinuteOfOctober = at('2026-10-31T23:59:00+02:00');
    const firstMinuteOfNovember = at('2026-11-01T00:00:00+02:00');
    expect(calendarPeriod(firstMinuteOfNovember, 'month', KYIV)).toBe(
      calendarPeriod(lastMinuteOfOctober, 'month', KYIV) + 1,
    );
    expect(calendarPeriod(at('2026-10-31T22:30:00Z'), 'month', KYIV)).toBe(
      calendarPeriod(firstMinuteOfNovember, 'month', KYIV),
    );
  });

  it('keeps the day that daylight saving starts on as one day (2026-03-29 has 23 hours)', () => {
    const before = at('2026-03-29T00:30:00+02:00');
    const after = at('2026-03-29T23:30:00+03:00');
    expect(localDay(after, KYIV)).toBe(localDay(before, KYIV));
    expect(localDay(at('2026-03-30T00:10:00+03:00'), KYIV)).toBe(localDay(before, KYIV) + 1);
  });

  it('keeps the day that daylight saving ends on as one day (2026-10-25 has 25 hours)', () => {
    const morning = at('2026-10-25T00:30:00+03:00');
    const repeatedHour = at('2026-10-25T03:30:00+02:00');
    const lateEvening = at('2026-10-25T23:59:00+02:00');
    expect(localDay(repeatedHour, KYIV)).toBe(localDay(morning, KYIV));
    expect(localDay(lateEvening, KYIV)).toBe(localDay(morning, KYIV));
  });

  it('starts ISO weeks on Monday', () => {
    const sunday = at('2026-11-29T23:00:00+02:00');
    const monday = at('2026-11-30T00:30:00+02:00');
    expect(calendarPeriod(monday, 'week', KYIV)).toBe(calendarPeriod(sunday, 'week', KYIV) + 1);
    expect(calendarPeriod(at('2026-11-23T00:00:00+02:00'), 'week', KYIV)).toBe(
      calendarPeriod(sunday, 'week', KYIV),
    );
  });

  it('counts months across years and leap days', () => {
    expect(calendarPeriod(at('1970-01-01T12:00:00Z'), 'month', 'UTC')).toBe(0);
    expect(calendarPeriod(at('2024-02-29T12:00:00Z'), 'month', 'UTC')).toBe(54 * 12 + 1);
    expect(calendarPeriod(at('2027-01-01T00:00:00+02:00'), 'month', KYIV)).toBe(57 * 12);
  });
});
