import { taxiRule } from './taxi-rule.js';

/** `count` purchases 7 hours apart from 2026-01-01, two in three of them taxi rides, each at its own merchant. */
export const rides = (count: number) =>
  Array.from({ length: count }, (_, i) => ({
    amount: 1_000 + i,
    time: new Date(Date.parse('2026-01-01T00:00:00Z') + i * 7 * 3_600_000).toISOString(),
    categoryId: i % 3 === 0 ? 5814 : 4121,
    merchantId: `merchant-${i}`,
  }));

/**
 * One of the costliest rules to evaluate within the routes' bounds: distinct merchants over a rolling year
 * keeps every counted event in its window. 1000 events through it take about 100 ms of CPU.
 */
export const distinctMerchantsRule = {
  ...taxiRule,
  id: 'many-merchants',
  measure: { type: 'distinct', field: 'merchantId' },
  window: { type: 'rolling', duration: '365d' },
  levels: [{ ...taxiRule.levels[0]!, achievementId: 'many-merchants', target: 900 }],
  examples: [],
};

/** The rule with as many examples as a 1 MiB document holds: 50 of 170 events (about 1 s of CPU to check). */
export const distinctMerchantsWithExamples = {
  ...distinctMerchantsRule,
  examples: Array.from({ length: 50 }, (_, i) => ({
    name: `example ${i + 1}`,
    given: rides(170),
    then: { unlocked: [] },
  })),
};
