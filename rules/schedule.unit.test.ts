import { describe, expect, it } from 'vitest';
import { ruleSchema } from './rule-schema.js';
import { scheduleMismatch } from './schedule.js';

const KYIV = 'Europe/Kyiv';
const scheduleOf = (schedule: object) =>
  ruleSchema.parse({
    id: 'campaign',
    version: 1,
    trigger: { on: 'transaction' },
    schedule,
    measure: { type: 'count' },
    window: { type: 'lifetime' },
    levels: [
      {
        achievementId: 'campaign',
        target: 1,
        points: 1,
        title: { en: 'a', uk: 'b', he: 'c' },
        description: { en: 'a', uk: 'b', he: 'c' },
      },
    ],
  }).schedule!;
const at = (iso: string) => Date.parse(iso);

describe('a rule’s schedule, in event time and the bank’s zone', () => {
  it('includes its start and leaves out its end', () => {
    const december = scheduleOf({
      startsAt: '2026-12-01T00:00:00+02:00',
      endsAt: '2026-12-25T00:00:00+02:00',
    });
    expect(scheduleMismatch(december, at('2026-11-30T21:59:59Z'), KYIV)).toBe('not-started');
    expect(scheduleMismatch(december, at('2026-11-30T22:00:00Z'), KYIV)).toBeUndefined();
    expect(scheduleMismatch(december, at('2026-12-24T23:59:59+02:00'), KYIV)).toBeUndefined();
    expect(scheduleMismatch(december, at('2026-12-25T00:00:00+02:00'), KYIV)).toBe('ended');
  });

  it('reads days and hours on the local clock, on both sides of a daylight-saving change', () => {
    const mornings = scheduleOf({ days: ['sun'], hours: { from: '07:00', to: '10:00' } });
    // Sunday 2026-03-29: Kyiv moves from +02:00 to +03:00 at 03:00.
    expect(scheduleMismatch(mornings, at('2026-03-29T04:30:00Z'), KYIV)).toBeUndefined(); // 07:30 local
    expect(scheduleMismatch(mornings, at('2026-03-29T06:59:00Z'), KYIV)).toBeUndefined(); // 09:59 local
    expect(scheduleMismatch(mornings, at('2026-03-29T07:00:00Z'), KYIV)).toBe('hours'); // 10:00 local
    expect(scheduleMismatch(mornings, at('2026-03-28T05:00:00Z'), KYIV)).toBe('weekday'); // Saturday
  });

  it('runs hours past midnight when they end before they start', () => {
    const nights = scheduleOf({ hours: { from: '22:00', to: '02:00' } });
    expect(scheduleMismatch(nights, at('2026-11-05T23:30:00+02:00'), KYIV)).toBeUndefined();
    expect(scheduleMismatch(nights, at('2026-11-06T01:59:00+02:00'), KYIV)).toBeUndefined();
    expect(scheduleMismatch(nights, at('2026-11-06T02:00:00+02:00'), KYIV)).toBe('hours');
    expect(scheduleMismatch(nights, at('2026-11-06T21:59:00+02:00'), KYIV)).toBe('hours');
  });

  it('refuses an end that is not after the start, and equal hours', () => {
    expect(() =>
      scheduleOf({ startsAt: '2026-12-25T00:00:00+02:00', endsAt: '2026-12-01T00:00:00+02:00' }),
    ).toThrow(/endsAt must come after startsAt/);
    expect(() => scheduleOf({ hours: { from: '08:00', to: '08:00' } })).toThrow(/the same time/);
    expect(() => scheduleOf({ days: ['sat', 'sat'] })).toThrow(/each day once/);
  });
});
