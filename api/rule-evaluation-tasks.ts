import { z } from 'zod';
import { eventIdOf } from '../rules/events.js';
import { heldOnSchema, holdsProblems } from '../rules/example-holds.js';
import { runExamples } from '../rules/examples.js';
import { eventsOfOneClient, ruleSchema, slug } from '../rules/rule-schema.js';
import {
  problemsOf,
  validateRuleDocument,
  type RuleContext,
  type RuleProblem,
} from '../rules/rule-validation.js';
import { simulate, type SimulatedEvent } from '../rules/simulate.js';

/** The body of `POST /v1/admin/rules/simulate`; its rule is checked as a draft after it. */
export const simulationSchema = z
  .object({
    rule: z.looseObject({}),
    events: eventsOfOneClient(1000),
    segments: z.array(slug()).max(100).default([]),
    holds: heldOnSchema,
  })
  .strict();

/** The body of `POST /v1/admin/dry-runs`; its rule is checked as a draft after it. */
export const dryRunSchema = z
  .object({ rule: z.looseObject({}), from: z.iso.datetime({ offset: true }) })
  .strict();

type Refused = { ok: false; problems: RuleProblem[] };

/** A draft has no version yet: the engine numbers it when it is created. */
const draftRule = (document: object) => ruleSchema.safeParse({ version: 1, ...document });

/** A simulation's body checked, and its events run through its rule. */
function simulateBody(input: {
  body: unknown;
  zone: string;
}): { ok: true; events: SimulatedEvent[] } | Refused {
  const body = simulationSchema.safeParse(input.body);
  if (!body.success) return { ok: false, problems: problemsOf(body.error) };
  const rule = draftRule(body.data.rule);
  if (!rule.success) return { ok: false, problems: problemsOf(rule.error, ['rule']) };
  const { events, holds } = body.data;
  const misfits = holdsProblems(rule.data, events.map(eventIdOf), holds);
  if (misfits.length > 0)
    return {
      ok: false,
      problems: misfits.map(({ path, message }) => ({
        pointer: `/holds/${path.join('/')}`,
        detail: message,
      })),
    };
  return { ok: true, events: simulate(rule.data, events, input.zone, body.data) };
}

/** A dry run's body checked: its rule as a draft (its examples are not run), numbered 1. */
function dryRunBody(input: {
  body: unknown;
}): { ok: true; document: Record<string, unknown> & { id: string }; from: string } | Refused {
  const body = dryRunSchema.safeParse(input.body);
  if (!body.success) return { ok: false, problems: problemsOf(body.error) };
  const rule = draftRule(body.data.rule);
  if (!rule.success) return { ok: false, problems: problemsOf(rule.error, ['rule']) };
  return { ok: true, document: { version: 1, ...body.data.rule, id: rule.data.id }, from: body.data.from };
}

/** What a draft's check found: the verdict a new version gets, and its examples' traces when asked. */
export interface DraftVerdict {
  result: { ok: true; ruleId: string; version: number; document: Record<string, unknown> } | Refused;
  /** Run when traces are asked for and the document fits the schema, even if it has other problems. */
  examples: { name: string; passed: boolean; trace: SimulatedEvent[] }[];
}

/**
 * A draft validated as its rule's next version, by the one function that validates every new version
 * (`validateRuleDocument`): `POST /v1/admin/rules/check` and `POST /v1/admin/rules` both come here.
 */
function checkDraft(input: { document: unknown; context: RuleContext; traces: boolean }): DraftVerdict {
  const { document, context } = input;
  const verdict = validateRuleDocument(document, context);
  const result = verdict.ok
    ? {
        ok: true as const,
        ruleId: verdict.rule.id,
        version: verdict.rule.version,
        document: verdict.document,
      }
    : verdict;
  if (!input.traces) return { result, examples: [] };
  const rule = verdict.ok
    ? { success: true as const, data: verdict.rule }
    : ruleSchema.safeParse({ ...(document as object), version: context.nextVersion });
  const examples = rule.success
    ? runExamples(rule.data, context.zone).map(({ name, failures, trace }) => ({
        name,
        passed: failures.length === 0,
        trace,
      }))
    : [];
  return { result, examples };
}

/** The work the API hands to its rule evaluation threads, by name: pure, and answered with plain data. */
export const evaluationTasks = { simulateBody, dryRunBody, checkDraft };

export type EvaluationTasks = typeof evaluationTasks;
