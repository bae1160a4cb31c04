import { describe, expect, it } from 'vitest';
import { ruleDocument } from '../test/support/events.js';
import { ruleSchema, eventsOfOneClient } from './rule-schema.js';
import { simulate } from './simulate.js';

describe('simulate', () => {
  it('says per event whether it counted and why not, the measure after it, and what it unlocked', () => {
    const rule = ruleSchema.parse(ruleDocument('big-spender'));
    const events = eventsOfOneClient(10).parse([
      { id: 'p-1', amount: 400000, time: '2026-11-02T18:00:00+02:00', categoryId: 5732 },
      { amount: 300000, currency: 'EUR', time: '2026-11-03T18:00:00+02:00', categoryId: 5732 },
      { id: 'p-1', amount: 400000, time: '2026-11-02T18:00:00+02:00', categoryId: 5732 },
      {
        kind: 'refund',
        originalId: 'p-1',
        amount: 50000,
        time: '2026-11-04T10:00:00+02:00',
        categoryId: 5732,
      },
      { amount: 200000, time: '2026-11-05T18:00:00+02:00', categoryId: 5411 },
    ]);
    expect(simulate(rule, events, 'Europe/Kyiv')).toEqual([
      expect.objectContaining({
        eventId: 'p-1',
        counted: true,
        why: 'counted',
        measure: 400000,
        unlocked: [],
      }),
      expect.objectContaining({
        eventId: 'example-2',
        counted: false,
        why: 'its currency is not one the rule counts',
        measure: 400000,
      }),
      expect.objectContaining({
        counted: false,
        why: 'a repeat: its id was received before, and counts once whatever the copy carries',
        measure: 400000,
      }),
      expect.objectContaining({
        eventId: 'example-4',
        counted: false,
        why: 'a refund: took back what it covers of purchase p-1',
        measure: 350000,
      }),
      expect.objectContaining({
        eventId: 'example-5',
        counted: true,
        why: 'counted, and unlocked big-spender-bronze',
        measure: 550000,
        unlocked: ['big-spender-bronze'],
      }),
    ]);
  });

  it('runs a targeted rule with the segments it is given', () => {
    const rule = ruleSchema.parse({
      ...ruleDocument('first-purchase'),
      audience: { segments: ['students'] },
    });
    const events = eventsOfOneClient(1).parse([
      { amount: 100, time: '2026-11-02T18:00:00+02:00', categoryId: 5732 },
    ]);
    expect(simulate(rule, events, 'Europe/Kyiv')[0]!.why).toBe(
      'the client was not in the audience this achievement is for',
    );
    expect(simulate(rule, events, 'Europe/Kyiv', { segments: ['students'] })[0]!.unlocked).toEqual([
      'first-purchase',
    ]);
  });
});
