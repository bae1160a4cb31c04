import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { summarizeRule } from './rule-summary.js';

const level = (target: number, points: number, extra: object = {}) => ({
  achievementId: 'a',
  target,
  points,
  ...extra,
});

/** "10 coffees a calendar month", to which each case adds what it says. */
const coffee = (extra: object = {}) => ({
  id: 'coffee',
  trigger: { on: 'transaction' },
  filter: { kinds: ['purchase'], categoryIds: [5814] },
  measure: { type: 'count' },
  window: { type: 'calendar', unit: 'month' },
  levels: [level(10, 100)],
  ...extra,
});

const en = (document: unknown) => summarizeRule(document, 'en');
const uk = (document: unknown) => summarizeRule(document, 'uk');

describe('a rule in one sentence', () => {
  it('says the issue’s campaign as a product owner would', () => {
    const campaign = coffee({
      schedule: { startsAt: '2026-12-01T00:00:00+02:00', endsAt: '2026-12-25T00:00:00+02:00' },
      budget: { unlocks: 1000, atLimit: 'close' },
    });
    expect(en(campaign)).toBe(
      '10 purchases in category 5814 in one calendar month, from 1 Dec to 24 Dec 2026: 100 points, at most 1,000 clients, then it closes',
    );
    expect(uk(campaign)).toBe(
      '10 покупок у категорії 5814 за один календарний місяць, з 1 грудня по 24 грудня 2026: 100 балів, не більше 1\u00a0000 клієнтів, далі закривається',
    );
  });

  it('names what each trigger counts: purchases, transfers, transactions, client events, achievements held', () => {
    expect(en(coffee({ filter: { kinds: ['transfer'] } }))).toMatch(/^10 transfers in one/);
    expect(en(coffee({ filter: {} }))).toMatch(/^10 transactions in one/);
    expect(en(coffee({ filter: { kinds: ['purchase', 'transfer'] } }))).toMatch(/^10 transactions/);
    const login = coffee({ trigger: { on: 'client-event', type: 'app.login' }, filter: undefined });
    expect(en(login)).toMatch(/^10 "app.login" events in one calendar month/);
    expect(uk(login)).toMatch(/^10 подій «app.login» за один/);
    const composite = (target: number) => ({
      trigger: { on: 'achievements', of: ['globetrotter', 'week-streak', 'coffee-lover'] },
      measure: { type: 'count' },
      window: { type: 'lifetime' },
      levels: [level(target, 500)],
    });
    expect(en(composite(3))).toBe('holding all of globetrotter, week-streak and coffee-lover: 500 points');
    expect(en(composite(1))).toBe('holding any of globetrotter, week-streak or coffee-lover: 500 points');
    expect(en(composite(2))).toBe('holding 2 of globetrotter, week-streak and coffee-lover: 500 points');
    expect(uk(composite(3))).toBe('мати всі досягнення globetrotter, week-streak і coffee-lover: 500 балів');
  });

  it('says each measure with its targets, several levels at once', () => {
    expect(en(coffee({ measure: { type: 'first' }, levels: [level(1, 5)] }))).toMatch(
      /^a first purchase in category 5814/,
    );
    expect(uk(coffee({ measure: { type: 'first' }, filter: { kinds: ['transfer'] } }))).toMatch(
      /^перший переказ за один/,
    );
    expect(en(coffee({ measure: { type: 'sum', field: 'amount' }, levels: [level(500_000, 10)] }))).toMatch(
      /^purchases totalling 5,000.00 in category 5814/,
    );
    expect(uk(coffee({ measure: { type: 'sum', field: 'amount' }, levels: [level(500_050, 10)] }))).toMatch(
      /^покупки на суму 5\u00a0000,50 у категорії/,
    );
    const countries = coffee({
      filter: undefined,
      measure: { type: 'distinct', field: 'country' },
      window: { type: 'rolling', duration: '365d' },
      levels: [level(3, 300)],
    });
    expect(en(countries)).toBe('transactions in 3 different countries within 365 days: 300 points');
    expect(uk(countries)).toBe('транзакції у 3 різних країнах за 365 днів: 300 балів');
    const streak = coffee({ measure: { type: 'streak', unit: 'day' }, window: { type: 'lifetime' } });
    expect(en(streak)).toBe('purchases on 10 days in a row in category 5814: 100 points');
    expect(uk({ ...streak, levels: [level(2, 1)] })).toBe('покупки 2 дні поспіль у категорії 5814: 1 бал');
    const tiers = coffee({ levels: [level(3, 30), level(10, 100), level(25, 250)] });
    expect(en(tiers)).toBe(
      'levels of 3, 10 and 25 purchases in category 5814 in one calendar month: 30, 100 and 250 points',
    );
    expect(uk(tiers)).toBe(
      'рівні: 3, 10 і 25 покупок у категорії 5814 за один календарний місяць: 30, 100 і 250 балів',
    );
    expect(uk(coffee({ levels: [level(21, 1), level(22, 2)] }))).toMatch(/^рівні: 21 і 22 покупки /);
    expect(uk(coffee({ levels: [level(1, 1)] }))).toMatch(/^1 покупка .*: 1 бал$/);
    expect(uk(coffee({ levels: [level(12, 11)] }))).toMatch(/^12 покупок .*: 11 балів$/);
  });

  it('says every condition of a filter, and what not, any and all make of them', () => {
    const filter = {
      kinds: ['purchase'],
      merchantIds: ['m-1'],
      currencies: ['UAH', 'EUR'],
      countries: ['UA'],
      amount: { min: 10_000 },
      attributes: { channel: 'online' },
      not: { categoryIds: [7995, 6010] },
      any: [{ merchantIds: ['m-coffee-house'] }, { categoryIds: [5814], amount: { max: 5000 } }],
      all: [{ kinds: ['transfer'] }, {}],
    };
    expect(en(coffee({ filter }))).toBe(
      '10 purchases at merchant m-1 in currencies UAH and EUR in country UA of at least 100.00 with channel = online ' +
        'except in categories 7995 and 6010 (at merchant m-coffee-house or (in category 5814 and of at most 50.00)) ' +
        '(of kind transfer and anything) in one calendar month: 100 points',
    );
    expect(uk(coffee({ filter }))).toContain(
      'у продавця m-1 у валютах UAH і EUR у країні UA на суму від 100,00 з channel = online не у категоріях 7995 і 6010 ' +
        '(у продавця m-coffee-house або (у категорії 5814 і на суму до 50,00)) (типу переказ і будь-що)',
    );
    expect(en(coffee({ filter: { amount: { min: 100, max: 200 } } }))).toContain('of 1.00 to 2.00');
    const categories = Array.from({ length: 1000 }, (_, i) => i);
    expect(en(coffee({ filter: { categoryIds: categories } }))).toContain(
      'in categories 0, 1, 2, 3, 4 and 995 more',
    );
  });

  it('says the campaign’s dates, days and hours as written, whole days by their last day', () => {
    const at = (schedule: object) => en(coffee({ schedule }));
    expect(at({ startsAt: '2026-12-01T00:00:00+02:00', endsAt: '2027-01-01T00:00:00+02:00' })).toContain(
      'from 1 Dec to 31 Dec 2026',
    );
    expect(at({ startsAt: '2026-12-20T00:00:00+02:00', endsAt: '2027-01-11T00:00:00+02:00' })).toContain(
      'from 20 Dec 2026 to 10 Jan 2027',
    );
    expect(at({ startsAt: '2026-12-01T08:00:00+02:00', endsAt: '2026-12-02T20:30:00+02:00' })).toContain(
      'from 1 Dec 2026 08:00 until 2 Dec 2026 20:30',
    );
    expect(at({ startsAt: '2026-03-01T00:00:00Z' })).toContain('from 1 Mar 2026');
    expect(at({ endsAt: '2026-03-01T00:00:00Z' })).toContain('until 28 Feb 2026');
    expect(at({ days: ['sat', 'sun'], hours: { from: '07:00', to: '10:00' } })).toContain(
      'on weekends, between 07:00 and 10:00',
    );
    expect(at({ days: ['fri', 'mon', 'tue', 'wed', 'thu'] })).toContain('on weekdays');
    expect(at({ days: ['wed', 'mon'] })).toContain('on Mon, Wed');
    expect(
      uk(coffee({ schedule: { days: ['wed', 'mon'], hours: { from: '22:00', to: '02:00' } } })),
    ).toContain('у пн, ср, з 22:00 до 02:00');
    expect(uk(coffee({ schedule: { endsAt: '2026-03-01T12:00:00Z' } }))).toContain('до 1 березня 2026 12:00');
  });

  it('says repeats, follow-ups, audiences, partners, caps and budgets', () => {
    expect(en(coffee({ repeat: { every: 'month' } }))).toContain(', earned again every month:');
    expect(uk(coffee({ repeat: { every: 'quarter' } }))).toContain(', здобувається знову щокварталу:');
    expect(en(coffee({ after: { achievement: 'profile-complete' } }))).toContain(
      ', counted from when the client holds profile-complete:',
    );
    const audience = {
      attributes: { tier: { in: ['gold', 'platinum'] }, city: { equals: 'Kyiv' }, kyc: { exists: true } },
      segments: ['vip', 'staff'],
    };
    expect(en(coffee({ audience }))).toContain(
      ', for clients whose tier is one of gold or platinum and whose city is Kyiv and who have kyc and in segments vip or staff:',
    );
    expect(uk(coffee({ audience: { attributes: { kyc: { exists: false } }, segments: ['vip'] } }))).toContain(
      ', для клієнтів без kyc і із сегмента vip:',
    );
    expect(en(coffee({ levels: [level(10, 1, { partner: 'coffee-house' })] }))).toMatch(
      /: 1 point and a reward from coffee-house$/,
    );
    expect(en(coffee({ cap: { points: 500, per: 'month', group: 'cashback' } }))).toMatch(
      /: 100 points, at most 500 points a month per client \(shared with group cashback\)$/,
    );
    expect(uk(coffee({ cap: { points: 1, per: 'day' } }))).toMatch(/не більше 1 бала на день для клієнта$/);
    // A repeating rule's unlocks are not clients: one client earns it again.
    expect(
      en(
        coffee({
          repeat: { every: 'month' },
          budget: { unlocks: 1, points: 5000, atLimit: 'without-points' },
        }),
      ),
    ).toMatch(/, at most 1 unlock and at most 5,000 points in all, then unlocks come without points$/);
    expect(uk(coffee({ budget: { unlocks: 21, atLimit: 'close' } }))).toMatch(/не більше 21 клієнта, далі/);
  });

  it('reads a draft: what is missing or not yet valid is left out, and nothing ever throws', () => {
    expect(en({})).toBe('… transactions');
    expect(en({ levels: [{ target: 'ten' }], window: { type: 'rolling', duration: 'soon' } })).toBe(
      '… transactions',
    );
    expect(en({ measure: { type: 'count' }, levels: [{ target: 3 }] })).toBe('3 transactions');
    expect(en(null)).toBe('… transactions');
    let deep: object = { categoryIds: [1] };
    for (let i = 0; i < 50; i++) deep = { not: deep };
    expect(en(coffee({ filter: deep }))).toContain('except except');
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom('en' as const, 'uk' as const), (value, language) => {
        expect(typeof summarizeRule(value, language)).toBe('string');
        expect(
          typeof summarizeRule(coffee({ filter: value, schedule: value, audience: value }), language),
        ).toBe('string');
      }),
      { seed: 27, numRuns: 2000 },
    );
  });
});
