import { describe, expect, it } from 'vitest';
import { EXAMPLE_RULES_DIR, readRuleFiles } from '../platform/catalog-files.js';
import { runExamples } from './examples.js';
import { ruleSchema } from './rule-schema.js';
import { validateRuleDocument, type RuleContext } from './rule-validation.js';
import { taxiRule } from '../test/support/taxi-rule.js';

const context: RuleContext = {
  nextVersion: 1,
  achievementsOfOthers: new Map([['coffee-lover', 'coffee-lover']]),
  closingBudgets: new Map(),
  namedByOthers: new Map(),
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

describe('a composite, against the other rules', () => {
  it('names only achievements some other rule has', () => {
    const composite = {
      id: 'regular',
      trigger: { on: 'achievements', of: ['coffee-lover', 'no-such-badge'] },
      measure: { type: 'count' },
      window: { type: 'lifetime' },
      levels: [{ ...taxiRule.levels[0], achievementId: 'regular', target: 1 }],
    };
    expect(problemsOf(composite)).toEqual([
      { pointer: '/trigger/of/1', detail: expect.stringMatching(/no rule has an achievement no-such-badge/) },
    ]);
  });
});

describe('a closing budget, against the rules reading its achievements', () => {
  const composite = {
    id: 'regular',
    trigger: { on: 'achievements', of: ['coffee-lover'] },
    measure: { type: 'count' },
    window: { type: 'lifetime' },
    levels: [{ ...taxiRule.levels[0], achievementId: 'regular', target: 1 }],
  };

  it('refuses a composite or a follow-up of an achievement whose budget closes, and not one that goes on without points', () => {
    const closing = { closingBudgets: new Map([['coffee-lover', 'coffee-lover']]) };
    expect(problemsOf(composite, closing)).toEqual([
      { pointer: '/trigger/of/0', detail: expect.stringMatching(/coffee-lover's budget, which closes/) },
    ]);
    // Its examples, where no one holds what it follows, are left out: they would fail for that alone.
    const followUp = { ...taxiRule, after: { achievement: 'coffee-lover' }, examples: [] };
    expect(problemsOf(followUp, closing)).toEqual([
      {
        pointer: '/after/achievement',
        detail: expect.stringMatching(/name an achievement whose budget goes on/),
      },
    ]);
    expect(problemsOf(composite)).toEqual([]);
  });

  it('refuses a budget that closes on an achievement another rule reads; one going on without points passes', () => {
    const read = { namedByOthers: new Map([[taxiRule.levels[0]!.achievementId, 'regular']]) };
    const budgeted = (atLimit: string) => ({ ...taxiRule, budget: { unlocks: 10, atLimit } });
    expect(problemsOf(budgeted('close'), read)).toEqual([
      { pointer: '/budget/atLimit', detail: expect.stringMatching(/rule regular counts .*without-points/) },
    ]);
    expect(problemsOf(budgeted('without-points'), read)).toEqual([]);
    expect(problemsOf(budgeted('close'))).toEqual([]);
  });
});

describe('what a rule may carry', () => {
  const level = taxiRule.levels[0]!;
  const withTitle = (en: string) => ({ ...taxiRule, levels: [{ ...level, title: { ...level.title, en } }] });

  it('bounds every text: a 700 KB title is refused at its field', () => {
    expect(problemsOf(withTitle('A'.repeat(700_000)))).toEqual([
      { pointer: '/levels/0/title/en', detail: expect.stringMatching(/<=100 characters/) },
    ]);
    const description = { ...level.description, uk: 'Б'.repeat(301) };
    expect(problemsOf({ ...taxiRule, levels: [{ ...level, description }] })[0]!.pointer).toBe(
      '/levels/0/description/uk',
    );
    const name = { ...taxiRule.examples[0], name: 'n'.repeat(201) };
    expect(problemsOf({ ...taxiRule, examples: [name] })[0]!.pointer).toBe('/examples/0/name');
    const others = [...'abcdefghijklmnopqr'].map((letter) => `${letter}${letter}`);
    const languages = Object.fromEntries(['en', 'uk', 'he', ...others].map((locale) => [locale, 'x']));
    expect(problemsOf({ ...taxiRule, levels: [{ ...level, title: languages }] })[0]).toEqual({
      pointer: '/levels/0/title',
      detail: 'at most 20 languages',
    });
  });

  it.each([
    ['a web address with a card number', 'https://evil.example/login?pan=4111111111111111', 'web address'],
    ['a card number', 'Card 4111 1111 1111 1111', 'card number'],
    ['a right-to-left override', 'Taxi \u202Eredir\u202C', 'U+202E'],
    ['markup', 'Taxi <img src=x onerror=alert(1)>', 'markup'],
    ['a NUL', 'Taxi\u0000rider', 'U+0000'],
  ])('refuses a title holding %s, at its field, saying what was found', (_what, title, said) => {
    expect(problemsOf(withTitle(title))).toEqual([
      { pointer: '/levels/0/title/en', detail: expect.stringContaining(said) },
    ]);
  });

  it('refuses a NUL in an example name as a title (one validation for every text)', () => {
    const named = { ...taxiRule.examples[0], name: 'ten\u0000rides' };
    expect(problemsOf({ ...taxiRule, examples: [named] })[0]!.pointer).toBe('/examples/0/name');
  });

  it.each([
    ['a rule id', { ...taxiRule, id: 'constructor' }, '/id'],
    [
      'an achievement id',
      { ...taxiRule, levels: [{ ...level, achievementId: 'constructor' }] },
      '/levels/0/achievementId',
    ],
    [
      'an audience attribute',
      { ...taxiRule, audience: { attributes: JSON.parse('{"__proto__": {"equals": "gold"}}') as object } },
      '/audience/attributes/__proto__',
    ],
    [
      'an audience attribute',
      { ...taxiRule, audience: { attributes: { hasOwnProperty: { exists: true } } } },
      '/audience/attributes/hasOwnProperty',
    ],
    [
      'a filter attribute',
      { ...taxiRule, filter: { attributes: { constructor: true } } },
      '/filter/attributes/constructor',
    ],
  ])('refuses a name every object already has as %s', (_what, document, pointer) => {
    expect(problemsOf(document).map((problem) => problem.pointer)).toContain(pointer);
  });
});

describe('the default rules’ and the example rules’ examples', () => {
  it.each(
    [...readRuleFiles(), ...readRuleFiles(EXAMPLE_RULES_DIR)].map(({ source, document }) => [
      source,
      document,
    ]),
  )('%s has examples, and they pass', (_source, document) => {
    const rule = ruleSchema.parse({ version: 1, ...(document as object) });
    // A composite's examples would need the rules it names, which a rule's own examples do not run.
    if (rule.trigger.on !== 'achievements') expect(rule.examples.length).toBeGreaterThan(0);
    expect(runExamples(rule, 'Europe/Kyiv').flatMap((result) => result.failures)).toEqual([]);
  });
});
