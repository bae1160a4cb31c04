import { describe, expect, it } from 'vitest';
import { readRuleFiles } from '../platform/catalog-files.js';
import { runExamples } from './examples.js';
import { ruleSchema } from './rule-schema.js';
import { validateRuleDocument, type RuleContext } from './rule-validation.js';
import { taxiRule } from '../test/support/taxi-rule.js';

const context: RuleContext = {
  nextVersion: 1,
  achievementsOfOthers: new Map([['coffee-lover', 'coffee-lover']]),
  partners: new Set(['coffee-house']),
  zone: 'Europe/Kyiv',
};

const problemsOf = (document: unknown, given: Partial<RuleContext> = {}) => {
  const checked = validateRuleDocument(document, { ...context, ...given });
  return checked.ok ? [] : checked.problems;
};

describe('validateRuleDocument', () => {
  it('accepts a valid rule whose examples pass, numbered as the next version', () => {
    const checked = validateRuleDocument(taxiRule, { ...context, nextVersion: 4 });
    expect(checked.ok && checked.rule.version).toBe(4);
  });

  it('names each invalid field by JSON pointer and says what to fix', () => {
    const broken = {
      ...taxiRule,
      window: { type: 'calendar', unit: 'fortnight' },
      levels: [{ ...taxiRule.levels[0], target: 0 }],
    };
    expect(problemsOf(broken).map((p) => p.pointer)).toEqual(['/window/unit', '/levels/0/target']);
    expect(problemsOf({ ...taxiRule, id: 'Taxi Rider' })).toEqual([
      { pointer: '/id', detail: 'lower-case words joined by "-", such as taxi-rider' },
    ]);
  });

  it('points into an example event that breaks the event schema', () => {
    const examples = [
      {
        ...taxiRule.examples[0],
        given: [{ amount: -5, time: '2026-11-23T08:00:00+02:00', categoryId: 4121 }],
      },
    ];
    expect(problemsOf({ ...taxiRule, examples })[0]!.pointer).toBe('/examples/0/given/0/amount');
  });

  it('refuses a version number other than the next, an achievement of another rule and an unknown partner', () => {
    expect(problemsOf({ ...taxiRule, version: 3 })[0]!.pointer).toBe('/version');
    const taken = {
      ...taxiRule,
      levels: [{ ...taxiRule.levels[0], achievementId: 'coffee-lover' }],
      examples: [],
    };
    expect(problemsOf(taken).map((p) => p.pointer)).toContain('/levels/0/achievementId');
    const partner = { ...taxiRule, levels: [{ ...taxiRule.levels[0], partner: 'uber-eats' }] };
    expect(problemsOf(partner)[0]).toMatchObject({ pointer: '/levels/0/partner' });
  });

  it('refuses a rule whose own examples fail, pointing at what differed', () => {
    const wrong = {
      ...taxiRule,
      examples: [{ ...taxiRule.examples[0], then: { unlocked: [], measures: [1, 1, 2, 2] } }],
    };
    expect(problemsOf(wrong)).toEqual([
      {
        pointer: '/examples/0/then/unlocked',
        detail: expect.stringMatching(/expected \[\] to unlock, got \[taxi-rider\]/),
      },
      { pointer: '/examples/0/then/measures/3', detail: expect.stringMatching(/measure is 3, not 2/) },
    ]);
  });
});

describe('the default rules’ examples', () => {
  it.each(readRuleFiles().map(({ source, document }) => [source, document]))(
    '%s has examples, and they pass',
    (_source, document) => {
      const rule = ruleSchema.parse(document);
      expect(rule.examples.length).toBeGreaterThan(0);
      expect(runExamples(rule, 'Europe/Kyiv').flatMap((result) => result.failures)).toEqual([]);
    },
  );
});
