import type pg from 'pg';
import { runExamples } from '../rules/examples.js';
import { ruleSchema } from '../rules/rule-schema.js';
import { validateRuleDocument, type RuleProblem } from '../rules/rule-validation.js';
import type { SimulatedEvent } from '../rules/simulate.js';

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

/** Validates a document as its rule's next version: against the other rules and the partners there are. */
export async function validateAsNext(client: pg.PoolClient, document: unknown, options: DraftOptions) {
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
  const version = next.rows[0]!.next;
  const result = validateRuleDocument(document, {
    nextVersion: version,
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
  });
  return { version, result };
}

/** Checks a draft as `create` would, storing nothing, and runs its examples when it fits the schema. */
export async function checkDraft(
  client: pg.PoolClient,
  document: unknown,
  options: DraftOptions,
): Promise<RuleCheck> {
  const { version, result } = await validateAsNext(client, document, options);
  const rule = ruleSchema.safeParse({ ...(document as object), version });
  return {
    ok: result.ok,
    version,
    problems: result.ok ? [] : result.problems,
    examples: rule.success
      ? runExamples(rule.data, options.zone).map(({ name, failures, trace }) => ({
          name,
          passed: failures.length === 0,
          trace,
        }))
      : [],
  };
}
