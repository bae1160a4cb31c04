import { describe, expect, it } from 'vitest';
import { KYIV } from '../test/support/events.js';
import { MAX_NUDGES_A_DAY, nudgeVerdict, quietUntil, STALE_AFTER_MS } from './nudge-policy.js';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

describe('quiet hours: never between 22:00 and 08:00 in the bank zone', () => {
  it('holds a nudge of the evening or the night until 08:00 local', () => {
    // Kyiv is UTC+2 in November: 08:00 there is 06:00 UTC.
    expect(iso(quietUntil(at('2026-11-20T22:00:00+02:00'), KYIV))).toBe('2026-11-21T06:00:00.000Z');
    expect(iso(quietUntil(at('2026-11-20T23:59:00+02:00'), KYIV))).toBe('2026-11-21T06:00:00.000Z');
    expect(iso(quietUntil(at('2026-11-21T03:10:00+02:00'), KYIV))).toBe('2026-11-21T06:00:00.000Z');
    expect(iso(quietUntil(at('2026-11-21T07:59:59+02:00'), KYIV))).toBe('2026-11-21T06:00:00.000Z');
  });

  it('lets the day through, from 08:00 to before 22:00', () => {
    expect(quietUntil(at('2026-11-21T08:00:00+02:00'), KYIV)).toBeUndefined();
    expect(quietUntil(at('2026-11-21T21:59:59+02:00'), KYIV)).toBeUndefined();
  });

  it('wakes at 08:00 on the wall clock across the nights the clocks change', () => {
    // Spring forward on 2026-03-29 (03:00 → 04:00, UTC+3 after); fall back on 2026-10-25 (UTC+2 after).
    expect(iso(quietUntil(at('2026-03-28T23:00:00+02:00'), KYIV))).toBe('2026-03-29T05:00:00.000Z');
    expect(iso(quietUntil(at('2026-10-24T23:00:00+03:00'), KYIV))).toBe('2026-10-25T06:00:00.000Z');
  });
});

describe('what the dispatcher does with a due nudge', () => {
  const noon = at('2026-11-21T12:00:00+02:00');
  const fresh = { eventAtMs: noon - 60_000, reached: false, sentToday: 0 };

  it('sends a fresh one by day', () => {
    expect(nudgeVerdict(fresh, noon, KYIV)).toEqual({ action: 'send' });
  });

  it('holds one in quiet hours', () => {
    const night = at('2026-11-21T23:30:00+02:00');
    expect(nudgeVerdict({ ...fresh, eventAtMs: night }, night, KYIV)).toEqual({
      action: 'hold',
      untilMs: at('2026-11-22T08:00:00+02:00'),
    });
  });

  it(`drops the ${MAX_NUDGES_A_DAY + 1}th of a day, one whose achievement was reached meanwhile, and a stale one`, () => {
    expect(nudgeVerdict({ ...fresh, sentToday: MAX_NUDGES_A_DAY }, noon, KYIV)).toEqual({
      action: 'drop',
      reason: 'daily-limit',
    });
    expect(nudgeVerdict({ ...fresh, sentToday: MAX_NUDGES_A_DAY - 1 }, noon, KYIV)).toEqual({
      action: 'send',
    });
    expect(nudgeVerdict({ ...fresh, reached: true }, noon, KYIV)).toEqual({
      action: 'drop',
      reason: 'reached',
    });
    expect(nudgeVerdict({ ...fresh, eventAtMs: noon - STALE_AFTER_MS - 1 }, noon, KYIV)).toEqual({
      action: 'drop',
      reason: 'stale',
    });
  });
});
