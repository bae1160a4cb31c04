import { describe, expect, it } from 'vitest';
import {
  catalog,
  clientEvent,
  days,
  given,
  KYIV,
  purchase,
  refund,
  ruleDocument,
} from '../test/support/events.js';
import { wideCatalog } from '../test/support/wide-catalog.js';
import { buildCatalog } from './catalog.js';
import { NO_CONTEXT } from './audience.js';
import { explain, historySince } from './explain.js';

describe('explain: why each event did or did not count', () => {
  it('names counted, unmatched, repeated, refunded, late and unlocking events for coffee-lover', () => {
    const coffees = days('2026-12-01', 11).map((time) => purchase({ categoryId: 5814, time }));
    const events = [
      ...coffees.slice(0, 9),
      purchase({ categoryId: 5411, time: '2026-12-10T12:00:00+02:00' }),
      coffees[8]!,
      refund(coffees[1]!, '2026-12-10T13:00:00+02:00'),
      purchase({ categoryId: 5814, time: '2026-10-05T12:00:00+03:00' }),
      clientEvent('contacts.synced', '2026-12-10T14:00:00Z'),
      coffees[9]!,
      coffees[10]!,
      purchase({ categoryId: 5814, time: '2026-12-20T12:00:00+02:00' }),
    ];
    const why = explain('coffee-lover', catalog, events, KYIV).events.map((e) => e.why);
    expect(why.slice(0, 9)).toEqual(Array(9).fill('counted'));
    expect(why.slice(9)).toEqual([
      'its merchant category is not one the rule counts',
      'a repeat: its id was received before, and counts once whatever the copy carries',
      `a refund: took back what it covers of purchase ${coffees[1]!.type === 'TransactionReceived' ? coffees[1]!.transaction.id : ''}`,
      'too late: dated more than 7 days before the newest record of its kind (transaction or app action) received before it',
      'not the kind of event this achievement counts',
      'counted',
      'counted, and unlocked the achievement',
      'the achievement was already unlocked',
    ]);
  });

  it('explains a first-purchase and a profile event that did not complete the profile', () => {
    const events = [
      clientEvent('profile.updated', '2026-12-01T10:00:00Z', { complete: false }),
      purchase({ time: '2026-12-01T12:00:00+02:00' }),
    ];
    expect(explain('profile-complete', catalog, events, KYIV).events[0]).toMatchObject({
      counted: false,
      why: "its attributes do not match the rule's",
    });
    expect(explain('first-purchase', catalog, events, KYIV).events[1]).toMatchObject({
      counted: true,
      why: 'counted, and unlocked the achievement',
    });
  });
});

describe('explain for an erased client (CONTRACT §7)', () => {
  const erased = { ...NO_CONTEXT, erasedAtMs: Date.parse('2026-11-10T00:00:00+02:00') };
  const before = purchase({
    id: 'p-before',
    categoryId: 5814,
    amount: 4_217,
    time: '2026-11-09T12:00:00+02:00',
  });
  const after = purchase({ id: 'p-after', categoryId: 5814, time: '2026-11-10T12:00:00+02:00' });

  it('leaves out every record dated before the erasure, its refund too, and says only how many', () => {
    const events = [before, refund(before, '2026-11-09T13:00:00+02:00'), after];
    const explanation = explain('first-purchase', catalog, events, KYIV, erased);
    expect(explanation).toEqual({
      events: [
        {
          id: 'p-after',
          time: '2026-11-10T12:00:00+02:00',
          counted: true,
          why: 'counted, and unlocked the achievement',
        },
      ],
      eventsBeforeErasure: 2,
    });
    expect(JSON.stringify(explanation)).not.toMatch(/p-before|2026-11-09|4217/);
  });

  it('counts nothing left out for a client never erased', () => {
    expect(explain('first-purchase', catalog, [before, after], KYIV).eventsBeforeErasure).toBe(0);
  });
});

describe('historySince: the Kafka time from which a client’s records can explain an achievement', () => {
  const DAY = 86_400_000;
  const nowMs = Date.parse('2026-12-20T12:00:00Z');

  it('for a monthly window, reads the month before now and the lateness week, and a day more', () => {
    const since = historySince(catalog.achievements.get('coffee-lover')!, given([]).progress, nowMs);
    expect(since).toBe(nowMs - 31 * DAY - 7 * DAY - DAY);
  });

  it('once unlocked, reads from the window that unlocked it', () => {
    const { progress } = given(days('2026-11-01', 10).map((time) => purchase({ categoryId: 5814, time })));
    const unlockedAt = Date.parse(progress.unlocked['coffee-lover']!.at);
    expect(historySince(catalog.achievements.get('coffee-lover')!, progress, nowMs)).toBe(
      unlockedAt - 39 * DAY,
    );
  });

  it('for a first time or a streak still locked, reads from the first event its progress keeps, or the week before now', () => {
    for (const id of ['first-purchase', 'week-streak'])
      expect(historySince(catalog.achievements.get(id)!, given([]).progress, nowMs)).toBe(nowMs - 8 * DAY);
    const { progress } = given(days('2026-12-15', 3).map((time) => purchase({ categoryId: 5814, time })));
    expect(historySince(catalog.achievements.get('week-streak')!, progress, nowMs)).toBe(
      Date.parse('2026-12-15T12:00:00+02:00') - 8 * DAY,
    );
  });

  it('for a first time unlocked, reads from around its unlock; for a streak, from the run that unlocked it', () => {
    const { progress } = given(days('2026-12-01', 7).map((time) => purchase({ categoryId: 5814, time })));
    expect(historySince(catalog.achievements.get('first-purchase')!, progress, nowMs)).toBe(
      Date.parse('2026-12-01T12:00:00+02:00') - 8 * DAY,
    );
    expect(historySince(catalog.achievements.get('week-streak')!, progress, nowMs)).toBe(
      Date.parse('2026-12-07T12:00:00+02:00') - 6 * DAY - 8 * DAY,
    );
  });

  it('for an unlocked lifetime count, a composite or a follow-up, reads all of the history', () => {
    const forever = buildCatalog([
      {
        source: 'coffee-forever.yaml',
        document: {
          ...ruleDocument('coffee-lover'),
          examples: undefined,
          id: 'coffee-forever',
          window: { type: 'lifetime' },
          levels: [
            {
              ...catalog.achievements.get('coffee-lover')!.level,
              achievementId: 'coffee-forever',
              target: 2,
            },
          ],
        },
      },
    ]);
    const { progress } = given(
      days('2026-12-01', 2).map((time) => purchase({ categoryId: 5814, time })),
      undefined,
      forever,
    );
    expect(historySince(forever.achievements.get('coffee-forever')!, progress, nowMs)).toBeUndefined();
    const wide = wideCatalog();
    for (const rule of wide.rules.filter((rule) => rule.after || rule.trigger.on === 'achievements'))
      expect(
        historySince(wide.achievements.get(rule.levels[0]!.achievementId)!, progress, nowMs),
      ).toBeUndefined();
  });
});
