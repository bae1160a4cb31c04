import type { z } from 'zod';
import { closingBudgetProblems } from './budgets.js';
import { runExamples } from './examples.js';
import { followUpProblems } from './follow-ups.js';
import { ruleSchema, type Rule } from './rule-schema.js';

/** A problem with a rule document: where (a JSON pointer, RFC 6901) and what to fix. */
export interface RuleProblem {
  pointer: string;
  detail: string;
}

/** What a new version must fit besides its schema: its number, the other rules, the partners there are. */
export interface RuleContext {
  /** The version the document will get; a document naming another is refused. */
  nextVersion: number;
  /** Achievement ids of every version of every other rule, with the rule that holds each. */
  achievementsOfOthers: ReadonlyMap<string, string>;
  /** Achievements of every other rule a version of which has a budget that closes, with that rule. */
  closingBudgets: ReadonlyMap<string, string>;
  /** Achievements every version of every other composite or follow-up reads, with a rule reading each. */
  namedByOthers: ReadonlyMap<string, string>;
  /** Partners a level may name: configured ones, and those rules already name. */
  partners: ReadonlySet<string>;
  zone: string;
}

export const jsonPointer = (path: PropertyKey[]) =>
  path.map((part) => `/${String(part).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');

/** A schema's complaints as problems; `under` is where the validated value sits in the whole document. */
export const problemsOf = (error: z.ZodError, under: PropertyKey[] = []): RuleProblem[] =>
  error.issues.map((issue) => ({ pointer: jsonPointer([...under, ...issue.path]), detail: issue.message }));

function contextProblems(rule: Rule, context: RuleContext): RuleProblem[] {
  const problems: RuleProblem[] = [];
  if (rule.trigger.on === 'achievements')
    rule.trigger.of.forEach((id, i) => {
      if (!context.achievementsOfOthers.has(id))
        problems.push({
          pointer: `/trigger/of/${i}`,
          detail: `no rule has an achievement ${id}; name the achievement id of a level of another rule`,
        });
    });
  problems.push(...followUpProblems(rule, context.achievementsOfOthers));
  problems.push(...closingBudgetProblems(rule, context));
  rule.levels.forEach((level, i) => {
    const holder = context.achievementsOfOthers.get(level.achievementId);
    if (holder)
      problems.push({
        pointer: `/levels/${i}/achievementId`,
        detail: `${level.achievementId} belongs to rule ${holder}; choose another id`,
      });
    if (level.partner && !context.partners.has(level.partner))
      problems.push({
        pointer: `/levels/${i}/partner`,
        detail: `no partner ${level.partner} is configured (PARTNER_<ID>_URL); name one of ${[...context.partners].join(', ') || 'none'}`,
      });
  });
  return problems;
}

/**
 * Validates a rule document for a new version: its schema, its fit with the other rules, and its own
 * examples, each run through the engine's `decide`. Every problem names its field by JSON pointer.
 */
export function validateRuleDocument(
  document: unknown,
  context: RuleContext,
): { ok: true; rule: Rule; document: Record<string, unknown> } | { ok: false; problems: RuleProblem[] } {
  if (typeof document !== 'object' || document === null || Array.isArray(document))
    return { ok: false, problems: [{ pointer: '', detail: 'a rule document is a JSON object' }] };
  const given = (document as { version?: unknown }).version;
  if (given !== undefined && given !== context.nextVersion)
    return {
      ok: false,
      problems: [
        {
          pointer: '/version',
          detail: `the next version of this rule is ${context.nextVersion}; send that, or leave version out`,
        },
      ],
    };
  const numbered = { ...document, version: context.nextVersion };
  const parsed = ruleSchema.safeParse(numbered);
  if (!parsed.success) return { ok: false, problems: problemsOf(parsed.error) };
  const problems = [
    ...contextProblems(parsed.data, context),
    ...runExamples(parsed.data, context.zone).flatMap((result) =>
      result.failures.map((failure) => ({
        ...failure,
        detail: `example "${result.name}": ${failure.detail}`,
      })),
    ),
  ];
  return problems.length > 0 ? { ok: false, problems } : { ok: true, rule: parsed.data, document: numbered };
}
