import { loadCatalog } from '../../platform/catalog-files.js';
import { buildCatalog, type Catalog } from '../../rules/catalog.js';

const texts = (name: string) => ({ en: name, uk: name, he: name });

function rule(id: string, body: Record<string, unknown>, targets: number[]) {
  return {
    source: `${id}.yaml`,
    document: {
      id,
      version: 1,
      ...body,
      levels: targets.map((target, i) => ({
        achievementId: targets.length === 1 ? id : `${id}-${i + 1}`,
        target,
        points: 10,
        title: texts(id),
        description: texts(id),
      })),
    },
  };
}

/**
 * The default catalog and rules that reach what it does not: calendar days and weeks, rolling counts and sums,
 * lifetime counts and distinct values, merchant, country and amount filters, transfers, attribute matches,
 * exclusions and alternatives (not, any, all), schedules (days, hours past midnight, a campaign across a
 * daylight-saving change), achievements repeating each week, month, quarter, year and multiple of the target,
 * caps on points per month and per week over a group of two rules, composites of other achievements (one of a composite, listed before it), a streak with two levels, and follow-ups: of a rule of the same topic and of
 * the other, of a repeating achievement, of a composite and of a follow-up (each listed before what it follows),
 * a repeating one, and a composite of follow-ups. Rule tests and the property test run them all.
 */
export function wideCatalog(): Catalog {
  const base = loadCatalog();
  const tx = { on: 'transaction' };
  const extra = buildCatalog([
    rule(
      'weekly-coffees',
      {
        trigger: tx,
        filter: { categoryIds: [5814] },
        measure: { type: 'count' },
        window: { type: 'calendar', unit: 'week' },
      },
      [3],
    ),
    rule(
      'daily-spend',
      {
        trigger: tx,
        filter: { currencies: ['UAH'], amount: { min: 100 } },
        measure: { type: 'sum', field: 'amount' },
        window: { type: 'calendar', unit: 'day' },
      },
      [1_000_000],
    ),
    rule(
      'merchant-regular',
      {
        trigger: tx,
        filter: { merchantIds: ['m-1'] },
        measure: { type: 'count' },
        window: { type: 'lifetime' },
      },
      [3, 5],
    ),
    rule(
      'merchant-explorer',
      {
        trigger: tx,
        measure: { type: 'distinct', field: 'merchantId' },
        window: { type: 'rolling', duration: '30d' },
      },
      [3],
    ),
    rule(
      'transfer-month',
      {
        trigger: tx,
        filter: { kinds: ['transfer'] },
        measure: { type: 'count' },
        window: { type: 'calendar', unit: 'month' },
      },
      [2],
    ),
    rule(
      'first-in-poland',
      {
        trigger: tx,
        filter: { countries: ['PL'] },
        measure: { type: 'first' },
        window: { type: 'lifetime' },
      },
      [1],
    ),
    rule(
      'mid-band-spend',
      {
        trigger: tx,
        filter: { amount: { min: 1_000, max: 500_000 } },
        measure: { type: 'sum', field: 'amount' },
        window: { type: 'rolling', duration: '10d' },
      },
      [600_000],
    ),
    rule(
      'category-collector',
      { trigger: tx, measure: { type: 'distinct', field: 'categoryId' }, window: { type: 'lifetime' } },
      [3],
    ),
    rule(
      'gold-card',
      {
        trigger: { on: 'client-event', type: 'attributes.updated' },
        filter: { attributes: { cardProduct: 'gold' } },
        measure: { type: 'first' },
        window: { type: 'lifetime' },
      },
      [1],
    ),
    rule(
      'spend-but-groceries',
      {
        trigger: tx,
        filter: { not: { categoryIds: [5411] } },
        measure: { type: 'sum', field: 'amount' },
        window: { type: 'calendar', unit: 'month' },
      },
      [2_000_000],
    ),
    rule(
      'coffee-or-poland',
      {
        trigger: tx,
        filter: { any: [{ categoryIds: [5814] }, { countries: ['PL'] }] },
        measure: { type: 'count' },
        window: { type: 'lifetime' },
      },
      [4],
    ),
    rule(
      'hryvnia-not-m2-nor-tiny',
      {
        trigger: tx,
        filter: {
          kinds: ['purchase', 'transfer'],
          all: [
            { currencies: ['UAH'] },
            { not: { any: [{ merchantIds: ['m-2'] }, { amount: { max: 100 } }] } },
          ],
        },
        measure: { type: 'count' },
        window: { type: 'rolling', duration: '10d' },
      },
      [3],
    ),
    rule(
      'weekend-mornings',
      {
        trigger: tx,
        schedule: { days: ['sat', 'sun'], hours: { from: '06:00', to: '12:00' } },
        measure: { type: 'count' },
        window: { type: 'lifetime' },
      },
      [2],
    ),
    rule(
      'night-owl',
      {
        trigger: tx,
        schedule: { hours: { from: '22:00', to: '02:00' } },
        measure: { type: 'count' },
        window: { type: 'calendar', unit: 'week' },
      },
      [2],
    ),
    rule(
      'spring-campaign',
      {
        trigger: tx,
        // Across the spring daylight-saving change in Kyiv (2026-03-29).
        schedule: { startsAt: '2026-03-27T00:00:00+02:00', endsAt: '2026-04-03T00:00:00+03:00' },
        measure: { type: 'count' },
        window: { type: 'lifetime' },
      },
      [3],
    ),
    rule(
      'weekday-profile',
      {
        trigger: { on: 'client-event', type: 'profile.updated' },
        filter: { not: { attributes: { complete: false } } },
        schedule: { days: ['mon', 'tue', 'wed', 'thu', 'fri'] },
        measure: { type: 'first' },
        window: { type: 'lifetime' },
      },
      [1],
    ),
    rule(
      'monthly-coffees',
      {
        trigger: tx,
        filter: { categoryIds: [5814] },
        measure: { type: 'count' },
        window: { type: 'calendar', unit: 'month' },
        repeat: { every: 'month' },
        cap: { points: 15, per: 'month' },
      },
      [2, 4],
    ),
    rule(
      'weekly-shopper',
      {
        trigger: tx,
        measure: { type: 'count' },
        window: { type: 'calendar', unit: 'week' },
        repeat: { every: 'week' },
        cap: { points: 15, per: 'week', group: 'capped' },
      },
      [2],
    ),
    rule(
      'quarterly-merchants',
      {
        trigger: tx,
        measure: { type: 'distinct', field: 'merchantId' },
        window: { type: 'calendar', unit: 'quarter' },
        repeat: { every: 'quarter' },
      },
      [2],
    ),
    rule(
      'yearly-spend',
      {
        trigger: tx,
        filter: { currencies: ['UAH'] },
        measure: { type: 'sum', field: 'amount' },
        window: { type: 'calendar', unit: 'year' },
        repeat: { every: 'year' },
      },
      [1_000_000],
    ),
    rule(
      'every-third-purchase',
      {
        trigger: tx,
        measure: { type: 'count' },
        window: { type: 'lifetime' },
        repeat: { every: 'target' },
        cap: { points: 15, per: 'week', group: 'capped' },
      },
      [3],
    ),
    rule(
      'every-15k',
      {
        trigger: tx,
        measure: { type: 'sum', field: 'amount' },
        window: { type: 'lifetime' },
        repeat: { every: 'target' },
      },
      [1_500_000],
    ),
    rule(
      'all-rounder-plus',
      {
        trigger: { on: 'achievements', of: ['all-rounder-1', 'weekend-mornings'] },
        measure: { type: 'count' },
        window: { type: 'lifetime' },
      },
      [2],
    ),
    rule(
      'all-rounder',
      {
        trigger: {
          on: 'achievements',
          of: ['first-in-poland', 'gold-card', 'merchant-regular-1', 'monthly-coffees-1'],
        },
        measure: { type: 'count' },
        window: { type: 'lifetime' },
      },
      [2, 4],
    ),
    rule(
      'any-start',
      {
        trigger: { on: 'achievements', of: ['big-spender-bronze', 'first-purchase', 'category-collector'] },
        measure: { type: 'count' },
        window: { type: 'lifetime' },
      },
      [1],
    ),
    rule(
      'coffee-after-regular',
      {
        trigger: tx,
        filter: { categoryIds: [5814] },
        measure: { type: 'count' },
        window: { type: 'calendar', unit: 'week' },
        after: { achievement: 'merchant-regular-1' },
      },
      [2],
    ),
    rule(
      'step-after-coffee',
      {
        trigger: tx,
        filter: { currencies: ['UAH'] },
        measure: { type: 'first' },
        window: { type: 'lifetime' },
        after: { achievement: 'coffee-after-regular' },
      },
      [1],
    ),
    rule(
      // Of the other topic: a client event brings what these transactions count from.
      'spend-after-gold',
      {
        trigger: tx,
        measure: { type: 'sum', field: 'amount' },
        window: { type: 'rolling', duration: '3d' },
        after: { achievement: 'gold-card' },
      },
      [400_000],
    ),
    rule(
      'streak-after-gold',
      {
        trigger: tx,
        measure: { type: 'streak', unit: 'day' },
        window: { type: 'lifetime' },
        after: { achievement: 'gold-card' },
      },
      [2],
    ),
    rule(
      'week-after-gold',
      {
        trigger: tx,
        measure: { type: 'count' },
        window: { type: 'calendar', unit: 'week' },
        after: { achievement: 'gold-card' },
      },
      [3],
    ),
    rule(
      // The other way round: transactions bring what these client events count from.
      'contacts-after-first',
      {
        trigger: { on: 'client-event', type: 'contacts.synced' },
        measure: { type: 'count' },
        window: { type: 'calendar', unit: 'week' },
        after: { achievement: 'first-purchase' },
      },
      [1],
    ),
    rule(
      'monthly-after-collector',
      {
        trigger: tx,
        measure: { type: 'count' },
        window: { type: 'calendar', unit: 'month' },
        repeat: { every: 'month' },
        after: { achievement: 'category-collector' },
      },
      [2],
    ),
    rule(
      'merchants-after-shopper',
      {
        trigger: tx,
        measure: { type: 'distinct', field: 'merchantId' },
        window: { type: 'lifetime' },
        after: { achievement: 'weekly-shopper' },
      },
      [2],
    ),
    rule(
      'streak-after-start',
      {
        trigger: tx,
        measure: { type: 'streak', unit: 'day' },
        window: { type: 'lifetime' },
        after: { achievement: 'any-start' },
      },
      [2],
    ),
    rule(
      'follow-through',
      {
        trigger: { on: 'achievements', of: ['step-after-coffee', 'streak-after-start'] },
        measure: { type: 'count' },
        window: { type: 'lifetime' },
      },
      [1],
    ),
    rule(
      'short-streak',
      { trigger: tx, measure: { type: 'streak', unit: 'day' }, window: { type: 'lifetime' } },
      [3, 5],
    ),
  ]);
  return {
    rules: [...base.rules, ...extra.rules],
    achievements: new Map([...base.achievements, ...extra.achievements]),
  };
}
