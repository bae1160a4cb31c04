import type pg from 'pg';
import type { RuleContext, RuleProblem } from '../rules/rule-validation.js';
import type { SimulatedEvent } from '../rules/simulate.js';
import { ruleEvaluation } from './rule-evaluation.js';

/** What a draft is checked against besides the stored rules: the bank's zone and the partners configured. */
export interface DraftOptions {
  zone: string;
  configuredPartners: () => Iterable<string>;
}

/** A draft checked as its rule's next version would be, with each of its examples run. */
export interface RuleCheck {
  ok: boolean;
  version: number;
  problems: RuleProblem[];
  /** Run when the document fits the schema. */
  examples: { name: string; passed: boolean; trace: SimulatedEvent[] }[];
}

/** What a document is validated against as its rule's next version: its number, the other rules, the partners. */
export async function draftContext(
  client: pg.PoolClient,
  document: unknown,
  options: DraftOptions,
): Promise<RuleContext> {
  const ruleId = (document as { id?: unknown } | null)?.id;
  const next = await client.query<{ next: number }>(
    'SELECT coalesce(max(version), 0) + 1 AS next FROM rule_versions WHERE rule_id = $1',
    [typeof ruleId === 'string' ? ruleId : ''],
  );
  const others = await client.query<{
    rule_id: string;
    achievement_id: string | null;
    partner: string | null;
  }>(
    `SELECT DISTINCT rule_id, level ->> 'achievementId' AS achievement_id, level ->> 'partner' AS partner
       FROM rule_versions, jsonb_array_elements(document -> 'levels') AS level`,
  );
  const reads = await client.query<{
    rule_id: string;
    achievement_id: string;
    closes: boolean;
    named: boolean;
  }>(
    `SELECT rule_id, level ->> 'achievementId' AS achievement_id, true AS closes, false AS named
       FROM rule_versions, jsonb_array_elements(document -> 'levels') AS level
      WHERE document -> 'budget' ->> 'atLimit' = 'close'
     UNION ALL
     SELECT rule_id, named.id, false, true
       FROM rule_versions, jsonb_array_elements_text(
         CASE WHEN jsonb_typeof(document -> 'trigger' -> 'of') = 'array' THEN document -> 'trigger' -> 'of'
              ELSE '[]' END || coalesce(jsonb_build_array(document -> 'after' ->> 'achievement'), '[]')
       ) AS named (id)
      WHERE named.id IS NOT NULL`,
  );
  const byAchievement = (kept: (row: (typeof reads.rows)[number]) => boolean) =>
    new Map(
      reads.rows
        .filter((row) => row.rule_id !== ruleId && row.achievement_id !== null && kept(row))
        .map((row) => [row.achievement_id, row.rule_id]),
    );
  return {
    nextVersion: next.rows[0]!.next,
    closingBudgets: byAchievement((row) => row.closes),
    namedByOthers: byAchievement((row) => row.named),
    achievementsOfOthers: new Map(
      others.rows
        .filter((row) => row.rule_id !== ruleId && row.achievement_id !== null)
        .map((row) => [row.achievement_id!, row.rule_id]),
    ),
    partners: new Set([
      ...options.configuredPartners(),
      ...others.rows.flatMap((row) => (row.partner ? [row.partner] : [])),
    ]),
    zone: options.zone,
  };
}

/** Whether two contexts would judge any document alike (validation is a pure function of both). */
export const sameContext = (a: RuleContext, b: RuleContext) => {
  const key = (context: RuleContext) =>
    JSON.stringify([
      context.nextVersion,
      context.zone,
      [...context.achievementsOfOthers].sort(),
      [...context.closingBudgets].sort(),
      [...context.namedByOthers].sort(),
      [...context.partners].sort(),
    ]);
  return key(a) === key(b);
};

/** Validates a draft as `create` would, off the event loop, storing nothing, and runs its examples. */
export async function checkDraft(document: unknown, context: RuleContext): Promise<RuleCheck> {
  const { result, examples } = await ruleEvaluation().run('checkDraft', { document, context, traces: true });
  return {
    ok: result.ok,
    version: context.nextVersion,
    problems: result.ok ? [] : result.problems,
    examples,
  };
}

/** Validates a document as a new version of its rule off the event loop: what to store, or every problem. */
export async function validateDraft(document: unknown, context: RuleContext) {
  const { result } = await ruleEvaluation().run('checkDraft', { document, context, traces: false });
  return result;
}
