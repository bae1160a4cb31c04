import { describe, expect, it } from 'vitest';
import { EXAMPLE_RULES_DIR, readRuleFiles } from '../platform/catalog-files.js';
import { clientEvent, given, KYIV, purchase, refund } from '../test/support/events.js';
import { buildCatalog, type Catalog } from './catalog.js';
import { explain } from './explain.js';
import { followUpProblems } from './follow-ups.js';
import { measureAt, viewOf } from './progress-view.js';
import type { ClientProgress } from './progress.js';
import { measuredSinceFor } from './rule-book.js';
import { ruleSchema } from './rule-schema.js';

const texts = (name: string) => ({ en: name, uk: name, he: name });
const rule = (id: string, body: Record<string, unknown>, target = 1) => ({
  id,
  version: 1,
  ...body,
  levels: [{ achievementId: id, target, points: 10, title: texts(id), description: texts(id) }],
});

/** The prerequisite: a purchase at the partner m-big (a transaction, like the coffees that follow it). */
const bigPurchase = rule('big-purchase', {
  trigger: { on: 'transaction' },
  filter: { merchantIds: ['m-big'] },
  measure: { type: 'first' },
  window: { type: 'lifetime' },
});
/** Two coffees in one calendar week, from the big purchase on. */
const coffeeAfter = (after: string, extra: Record<string, unknown> = {}) =>
  rule(
    'coffee-after',
    {
      trigger: { on: 'transaction' },
      filter: { categoryIds: [5814] },
      measure: { type: 'count' },
      window: { type: 'calendar', unit: 'week' },
      after: { achievement: after },
      ...extra,
    },
    2,
  );
const catalogOf = (...documents: Record<string, unknown>[]): Catalog =>
  buildCatalog(documents.map((document) => ({ source: `${String(document.id)}.yaml`, document })));

const catalog = catalogOf(coffeeAfter('big-purchase'), bigPurchase);
const big = (time: string, id = 'big') => purchase({ id, merchantId: 'm-big', categoryId: 5411, time });
const coffee = (time: string, id: string) => purchase({ id, categoryId: 5814, merchantId: 'm-cafe', time });
const unlocks = (events: Parameters<typeof given>[0], rules = catalog) =>
  given(events, undefined, rules).unlocked.map((u) => [u.achievementId, u.unlockedAt, u.sourceEventId]);
const measure = (progress: ClientProgress, at: string, rules = catalog) =>
  measureAt(rules.achievements.get('coffee-after')!.rule, progress, Date.parse(at), KYIV);

// Week of Monday 2026-11-16 (Kyiv, +02:00).
const MON_10 = '2026-11-16T10:00:00+02:00';

describe('a follow-up: counting only from another achievement on', () => {
  it('unlocks once the prerequisite is held, with coffees dated from its unlock', () => {
    expect(
      unlocks([
        big(MON_10),
        coffee('2026-11-16T12:00:00+02:00', 'c-1'),
        coffee('2026-11-17T08:00:00+02:00', 'c-2'),
      ]),
    ).toEqual([
      ['big-purchase', '2026-11-16T08:00:00.000Z', 'big'],
      ['coffee-after', '2026-11-17T06:00:00.000Z', 'c-2'],
    ]);
  });

  it('does not count coffees dated before the prerequisite, whenever they arrive; the app shows 0 before it', () => {
    const before = [coffee('2026-11-16T08:00:00+02:00', 'c-1'), coffee('2026-11-16T09:00:00+02:00', 'c-2')];
    const waiting = given(before, undefined, catalog);
    expect(waiting.unlocked).toEqual([]);
    expect(measure(waiting.progress, '2026-11-16T09:30:00+02:00')).toBe(0);
    const held = given([big(MON_10)], waiting.progress, catalog);
    expect(held.unlocked.map((u) => u.achievementId)).toEqual(['big-purchase']);
    expect(measure(held.progress, '2026-11-16T11:00:00+02:00')).toBe(0);
    const counted = given([coffee('2026-11-16T11:00:00+02:00', 'c-3')], held.progress, catalog);
    expect(counted.unlocked).toEqual([]);
    // Dated before the unlock, arriving after it: a late record counts for nothing here either.
    const after = given([coffee('2026-11-16T09:30:00+02:00', 'c-4')], counted.progress, catalog);
    expect(after.unlocked).toEqual([]);
    expect(measure(after.progress, '2026-11-16T12:00:00+02:00')).toBe(1);
    expect(
      viewOf(catalog.achievements.get('coffee-after')!, after.progress, Date.parse(MON_10), KYIV).progress,
    ).toEqual({ current: 1, target: 2 });
  });

  it('shows only what counts from its start to a client back in its audience, who was out when it began', () => {
    const forGold = catalogOf(
      coffeeAfter('big-purchase', { audience: { attributes: { tier: { equals: 'gold' } } } }),
      bigPurchase,
    );
    const tier = (time: string, value: string | null) =>
      clientEvent('attributes.updated', time, { tier: value });
    const { progress } = given(
      [
        tier('2026-11-15T10:00:00+02:00', 'gold'),
        coffee('2026-11-16T08:00:00+02:00', 'c-1'),
        tier('2026-11-16T09:00:00+02:00', null),
        big(MON_10),
        tier('2026-11-16T11:00:00+02:00', 'gold'),
      ],
      undefined,
      forGold,
    );
    expect(measure(progress, '2026-11-16T12:00:00+02:00', forGold)).toBe(0);
  });

  it('counts coffees dated after the unlock that arrived before it, on the record that unlocks it', () => {
    // Both coffees arrive first; the big purchase, dated earlier, arrives late and starts the follow-up.
    const events = [
      coffee('2026-11-17T08:00:00+02:00', 'c-1'),
      coffee('2026-11-18T08:00:00+02:00', 'c-2'),
      big(MON_10),
    ];
    expect(unlocks(events)).toEqual([
      ['big-purchase', '2026-11-16T08:00:00.000Z', 'big'],
      ['coffee-after', '2026-11-18T06:00:00.000Z', 'big'],
    ]);
    // Whatever the order of the rules in the catalog.
    expect(unlocks(events, catalogOf(bigPurchase, coffeeAfter('big-purchase')))).toEqual(unlocks(events));
  });

  it('unlocks at the earliest window reached when it starts, not the one of the record that starts it', () => {
    // Two coffees in each of two weeks, the later week's first; the big purchase, dated before them all, last.
    const events = [
      coffee('2026-11-23T08:00:00+02:00', 'c-3'),
      coffee('2026-11-24T08:00:00+02:00', 'c-4'),
      coffee('2026-11-18T08:00:00+02:00', 'c-1'),
      coffee('2026-11-19T08:00:00+02:00', 'c-2'),
      big('2026-11-17T20:00:00+02:00'),
    ];
    expect(unlocks(events).at(-1)).toEqual(['coffee-after', '2026-11-19T06:00:00.000Z', 'big']);
  });

  it('unlocks in a later week when an earlier one, also since the start, does not reach the target', () => {
    const events = [
      coffee('2026-11-19T08:00:00+02:00', 'c-1'),
      coffee('2026-11-23T08:00:00+02:00', 'c-2'),
      coffee('2026-11-24T08:00:00+02:00', 'c-3'),
      big('2026-11-18T20:00:00+02:00'),
    ];
    expect(unlocks(events).at(-1)).toEqual(['coffee-after', '2026-11-24T06:00:00.000Z', 'big']);
  });

  it('starts on a record of the other topic: a client event its transactions count from', () => {
    const goldCard = rule('gold-card', {
      trigger: { on: 'client-event', type: 'attributes.updated' },
      filter: { attributes: { cardProduct: 'gold' } },
      measure: { type: 'first' },
      window: { type: 'lifetime' },
    });
    const rules = catalogOf(coffeeAfter('gold-card'), goldCard);
    const gold = clientEvent('attributes.updated', '2026-11-16T10:00:00+02:00', { cardProduct: 'gold' });
    const events = [
      coffee('2026-11-16T09:00:00+02:00', 'c-0'),
      coffee('2026-11-17T08:00:00+02:00', 'c-1'),
      coffee('2026-11-18T08:00:00+02:00', 'c-2'),
      gold,
    ];
    expect(unlocks(events, rules).map(([id, at]) => [id, at])).toEqual([
      ['gold-card', '2026-11-16T08:00:00.000Z'],
      ['coffee-after', '2026-11-18T06:00:00.000Z'],
    ]);
  });

  it('lets a refund take back a coffee before and after the follow-up starts', () => {
    const [c1, c2, c3] = [
      coffee('2026-11-17T08:00:00+02:00', 'c-1'),
      coffee('2026-11-18T08:00:00+02:00', 'c-2'),
      coffee('2026-11-19T08:00:00+02:00', 'c-3'),
    ];
    // Refunded while the follow-up waited: it starts with one coffee.
    const waited = given([c1, c2, refund(c1, '2026-11-18T09:00:00+02:00'), big(MON_10)], undefined, catalog);
    expect(waited.unlocked.map((u) => u.achievementId)).toEqual(['big-purchase']);
    expect(measure(waited.progress, '2026-11-18T10:00:00+02:00')).toBe(1);
    expect(
      given([c3], waited.progress, catalog).unlocked.map((u) => [u.achievementId, u.sourceEventId]),
    ).toEqual([['coffee-after', 'c-3']]);
    // Refunded once it counted.
    const started = given([big(MON_10), c1, refund(c1, '2026-11-17T09:00:00+02:00'), c2], undefined, catalog);
    expect(started.unlocked.map((u) => u.achievementId)).toEqual(['big-purchase']);
    expect(measure(started.progress, '2026-11-18T10:00:00+02:00')).toBe(1);
  });

  it('counts from the first earning of a repeating prerequisite', () => {
    const everyBig = { ...bigPurchase, measure: { type: 'count' }, repeat: { every: 'target' } };
    const rules = catalogOf(coffeeAfter('big-purchase'), everyBig);
    const { unlocked, progress } = given(
      [
        big('2026-11-16T10:00:00+02:00', 'big-1'),
        coffee('2026-11-17T08:00:00+02:00', 'c-1'),
        big('2026-11-18T10:00:00+02:00', 'big-2'),
        coffee('2026-11-19T08:00:00+02:00', 'c-2'),
      ],
      undefined,
      rules,
    );
    expect(unlocked.map((u) => [u.achievementId, u.occurrence ?? null])).toEqual([
      ['big-purchase', '1'],
      ['big-purchase', '2'],
      ['coffee-after', null],
    ]);
    expect(progress.repeats?.['big-purchase']?.firstAt).toBe('2026-11-16T08:00:00.000Z');
  });

  it('earns a repeating follow-up in each period its start reaches, in time order', () => {
    const monthly = rule('coffee-after', {
      trigger: { on: 'transaction' },
      filter: { categoryIds: [5814] },
      measure: { type: 'count' },
      window: { type: 'calendar', unit: 'month' },
      repeat: { every: 'month' },
      after: { achievement: 'big-purchase' },
    });
    const events = [
      coffee('2026-12-02T08:00:00+02:00', 'c-2'),
      coffee('2026-11-29T08:00:00+02:00', 'c-1'),
      big('2026-11-28T10:00:00+02:00'),
    ];
    expect(
      given(events, undefined, catalogOf(monthly, bigPurchase)).unlocked.map((u) => [
        u.achievementId,
        u.occurrence ?? null,
        u.sourceEventId,
      ]),
    ).toEqual([
      ['big-purchase', null, 'big'],
      ['coffee-after', '2026-11', 'big'],
      ['coffee-after', '2026-12', 'big'],
    ]);
  });
});

describe('a follow-up starting on a record of the other topic, over every window since', () => {
  const goldCard = rule('gold-card', {
    trigger: { on: 'client-event', type: 'attributes.updated' },
    filter: { attributes: { cardProduct: 'gold' } },
    measure: { type: 'first' },
    window: { type: 'lifetime' },
  });
  // Dated before every purchase below, and late for none: client events have a horizon of their own.
  const gold = () => clientEvent('attributes.updated', '2026-10-31T10:00:00+02:00', { cardProduct: 'gold' });
  const shop = (day: string) => purchase({ id: `p-${day}`, time: `2026-11-${day}T12:00:00+02:00` });
  const startedWith = (body: Record<string, unknown>, target: number, days: string[]) => {
    const followUp = rule(
      'after-gold',
      { trigger: { on: 'transaction' }, after: { achievement: 'gold-card' }, ...body },
      target,
    );
    const { unlocked } = given([...days.map(shop), gold()], undefined, catalogOf(followUp, goldCard));
    return unlocked.filter((u) => u.achievementId === 'after-gold').map((u) => u.unlockedAt);
  };

  it('a rolling window: the first end at which one reaches the target, however far from the first purchase', () => {
    const body = { measure: { type: 'count' }, window: { type: 'rolling', duration: '3d' } };
    expect(startedWith(body, 2, ['01', '10', '11'])).toEqual(['2026-11-11T10:00:00.000Z']);
  });

  it('a streak: the day the first run of enough days reached it', () => {
    const body = { measure: { type: 'streak', unit: 'day' }, window: { type: 'lifetime' } };
    expect(startedWith(body, 2, ['05', '06', '07', '01', '02'])).toEqual(['2026-11-02T10:00:00.000Z']);
  });

  it('a calendar week: the earliest week that reaches it', () => {
    const body = { measure: { type: 'count' }, window: { type: 'calendar', unit: 'week' } };
    expect(startedWith(body, 2, ['09', '10', '04', '05'])).toEqual(['2026-11-05T10:00:00.000Z']);
  });

  it('keeps the events its prerequisite could still come before, though their window has passed', () => {
    // The client events' horizon moves on to Nov 20 while no transaction is known: the first one may be dated
    // before Nov 3 and start the follow-up then, so the contacts synced on Nov 3 must still be there.
    const firstBuy = rule('first-buy', {
      trigger: { on: 'transaction' },
      measure: { type: 'first' },
      window: { type: 'lifetime' },
    });
    const contacts = rule('contacts-after', {
      trigger: { on: 'client-event', type: 'contacts.synced' },
      measure: { type: 'count' },
      window: { type: 'calendar', unit: 'week' },
      after: { achievement: 'first-buy' },
    });
    const { unlocked } = given(
      [
        clientEvent('contacts.synced', '2026-11-03T10:00:00+02:00'),
        clientEvent('contacts.synced', '2026-11-20T10:00:00+02:00'),
        purchase({ time: '2026-11-02T10:00:00+02:00' }),
      ],
      undefined,
      catalogOf(contacts, firstBuy),
    );
    expect(unlocked.map((u) => [u.achievementId, u.unlockedAt])).toEqual([
      ['first-buy', '2026-11-02T08:00:00.000Z'],
      ['contacts-after', '2026-11-03T08:00:00.000Z'],
    ]);
  });
});

describe('the example coffee-after-profile, with the catalog it follows', () => {
  it('counts coffees dated from the profile’s completion, those that arrived before it too', () => {
    // An example rule is a draft: the engine numbers it when it is created.
    const example = readRuleFiles(EXAMPLE_RULES_DIR)
      .filter(({ document }) => (document as { id: string }).id === 'coffee-after-profile')
      .map((file) => ({ ...file, document: { version: 1, ...(file.document as object) } }));
    const withCatalog = buildCatalog([...readRuleFiles(), ...example]);
    const cafe = (day: string) => purchase({ categoryId: 5814, time: `2026-11-${day}T08:00:00+02:00` });
    const waited = given([cafe('16'), cafe('17'), cafe('18')], undefined, withCatalog);
    const achievement = withCatalog.achievements.get('coffee-after-profile')!;
    const now = Date.parse('2026-11-18T12:00:00+02:00');
    expect(viewOf(achievement, waited.progress, now, KYIV).progress.current).toBe(0);
    const complete = clientEvent('profile.updated', '2026-11-16T12:00:00+02:00', { complete: true });
    const started = given([complete], waited.progress, withCatalog);
    expect(started.unlocked.map((u) => u.achievementId)).toEqual(['profile-complete']);
    expect(viewOf(achievement, started.progress, now, KYIV).progress.current).toBe(2);
    expect(started.when(cafe('19'))).toEqual(['coffee-after-profile']);
  });
});

describe('explaining a follow-up', () => {
  it('says which events came before it began, which counted, and on which record it began', () => {
    const events = [
      coffee('2026-11-16T08:00:00+02:00', 'c-0'),
      coffee('2026-11-17T08:00:00+02:00', 'c-1'),
      coffee('2026-11-18T08:00:00+02:00', 'c-2'),
      big(MON_10),
      coffee('2026-11-16T09:00:00+02:00', 'c-late'),
    ];
    expect(
      explain('coffee-after', catalog, events, KYIV).events.map((e) => [e.id, e.counted, e.why]),
    ).toEqual([
      ['c-0', false, 'before the follow-up began: big-purchase was unlocked at 2026-11-16T08:00:00.000Z'],
      [
        'c-1',
        true,
        'counted: the follow-up began when big-purchase was unlocked at 2026-11-16T08:00:00.000Z',
      ],
      [
        'c-2',
        true,
        'counted: the follow-up began when big-purchase was unlocked at 2026-11-16T08:00:00.000Z',
      ],
      [
        'big',
        false,
        'the follow-up began on its arrival (big-purchase was unlocked at 2026-11-16T08:00:00.000Z), and the events dated since unlocked the achievement',
      ],
      ['c-late', false, 'the achievement was already unlocked'],
    ]);
  });

  it('says a coffee waits while the prerequisite is not held', () => {
    const [explained] = explain('coffee-after', catalog, [coffee(MON_10, 'c-0')], KYIV).events;
    expect(explained).toEqual({
      id: 'c-0',
      time: MON_10,
      counted: false,
      why: 'kept until big-purchase is unlocked: the follow-up counts only from then',
    });
  });
});

describe('a follow-up rule document', () => {
  it.each([
    [coffeeAfter('coffee-after'), '/after/achievement', /an achievement of this rule itself/],
    [
      rule('gold', {
        trigger: { on: 'achievements', of: ['a', 'b'] },
        measure: { type: 'count' },
        window: { type: 'lifetime' },
        after: { achievement: 'a' },
      }),
      '/after',
      /a composite counts achievements held/,
    ],
    [
      coffeeAfter('big-purchase', { after: { achievement: 'big-purchase', since: 'now' } }),
      '/after',
      /since/,
    ],
    [coffeeAfter('Big Purchase'), '/after/achievement', /lower-case words/],
  ])('is refused at its pointer: %#', (document, pointer, reason) => {
    const parsed = ruleSchema.safeParse(document);
    const issue = parsed.error?.issues.find((i) => `/${i.path.join('/')}` === pointer);
    expect(issue?.message).toMatch(reason);
  });

  it('names an achievement some other rule has', () => {
    const parsed = ruleSchema.parse(coffeeAfter('no-such-badge'));
    expect(followUpProblems(parsed, new Map([['big-purchase', 'big-purchase']]))).toEqual([
      {
        pointer: '/after/achievement',
        detail:
          'no rule has an achievement no-such-badge; name the achievement id of a level of another rule',
      },
    ]);
    expect(
      followUpProblems(ruleSchema.parse(coffeeAfter('big-purchase')), new Map([['big-purchase', 'x']])),
    ).toEqual([]);
  });

  it('counts afresh when what it follows changes', () => {
    const parsed = ruleSchema.parse(coffeeAfter('big-purchase'));
    const other = ruleSchema.parse({ ...coffeeAfter('gold-card'), version: 2 });
    expect(measuredSinceFor({ rule: parsed, measuredSince: 1 }, other)).toBe(2);
    const same = ruleSchema.parse({ ...coffeeAfter('big-purchase'), version: 2 });
    expect(measuredSinceFor({ rule: parsed, measuredSince: 1 }, same)).toBe(1);
  });
});
