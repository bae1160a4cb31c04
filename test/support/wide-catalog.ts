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
 * lifetime counts and distinct values, merchant, country and amount filters, transfers, attribute matches and
 * a streak with two levels. Rule tests and the property test run them all.
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
