import { describe, expect, it } from 'vitest';
import { readRuleFiles, EXAMPLE_RULES_DIR } from '../platform/catalog-files.js';
import { taxiRule } from '../test/support/taxi-rule.js';
import { eventsOfOneClient, ruleSchema } from './rule-schema.js';
import { problemsOf } from './rule-validation.js';
import { simulate } from './simulate.js';

const ZONE = 'Europe/Kyiv';
const exampleRule = (id: string) => {
  const file = readRuleFiles(EXAMPLE_RULES_DIR).find((f) => f.source === `${id}.yaml`)!;
  const document = file.document as Record<string, unknown> & { examples: unknown[] };
  return { version: 1, ...document };
};
const pointersOf = (document: unknown) => {
  const parsed = ruleSchema.safeParse({ version: 1, ...(document as object) });
  return parsed.success ? [] : problemsOf(parsed.error).map((p) => `${p.pointer}: ${p.detail}`);
};

describe('what other rules earned a simulated client (holds)', () => {
  const gold = ruleSchema.parse(exampleRule('gold-traveller'));
  const trips = eventsOfOneClient(10).parse([
    { id: 'lisbon', amount: 12000, time: '2026-11-20T12:00:00+02:00', categoryId: 4511 },
    { id: 'groceries', amount: 3000, time: '2026-11-27T09:00:00+02:00', categoryId: 5411 },
    { id: 'rome', amount: 9000, time: '2026-11-28T09:00:00+02:00', categoryId: 4511 },
  ]);

  it('lets a composite count what the client came to hold, on the event that brought it and not before', () => {
    const traced = simulate(gold, trips, ZONE, {
      holds: [
        { achievement: 'week-streak', on: 'rome' },
        { achievement: 'globetrotter', on: 'lisbon' },
      ],
    });
    expect(traced.map((e) => [e.measure, e.unlocked])).toEqual([
      [1, []],
      [1, []],
      [2, ['gold-traveller']],
    ]);
  });

  it('counts nothing held when none is given', () => {
    expect(simulate(gold, trips, ZONE).map((e) => e.measure)).toEqual([0, 0, 0]);
  });

  it('refuses an achievement the rule does not read and an event the example does not give, by pointer', () => {
    const document = exampleRule('gold-traveller');
    const [first] = document.examples as { holds: unknown[] }[];
    const examples = [
      {
        ...first,
        holds: [
          { achievement: 'coffee-lover', on: 'trip-to-lisbon' },
          { achievement: 'globetrotter', on: 'paris' },
        ],
      },
    ];
    expect(pointersOf({ ...document, examples })).toEqual([
      '/examples/0/holds/0/achievement: this rule does not read coffee-lover; name one of globetrotter, week-streak',
      '/examples/0/holds/1/on: no event of "given" has the id paris; name one of trip-to-lisbon, seventh-day',
    ]);
  });

  it('is refused for a rule that reads no other achievement', () => {
    const examples = [{ ...taxiRule.examples[0], holds: [{ achievement: 'globetrotter', on: 'example-1' }] }];
    expect(pointersOf({ ...taxiRule, examples })).toEqual([
      '/examples/0/holds/0/achievement: this rule reads no other achievement: holds is for composites and follow-ups',
    ]);
  });
});
