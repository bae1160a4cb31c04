import type { Context } from 'hono';
import { config } from '../platform/config.js';
import { invalid } from './operations.js';
import { problem, problemResponse } from './problem.js';
import { EvaluationBusy, EvaluationOverBudget, RuleEvaluationPool } from './rule-evaluation-pool.js';

let shared: RuleEvaluationPool | undefined;

/** The 503 of a route that evaluates rules: documented with the Retry-After it carries when threads are busy. */
export const EVALUATION_RESPONSES = {
  503: {
    ...problemResponse(
      'Rule evaluation is busy, the request took too long, or a dependency is unavailable; retry later',
    ),
    headers: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' as const } } },
  },
};

/** The process's rule evaluation threads, started on first use as RULE_EVALUATION_* configure them. */
export function ruleEvaluation(): RuleEvaluationPool {
  const { RULE_EVALUATION_THREADS, RULE_EVALUATION_QUEUE, RULE_EVALUATION_BUDGET } = config();
  shared ??= new RuleEvaluationPool({
    threads: RULE_EVALUATION_THREADS,
    queue: RULE_EVALUATION_QUEUE,
    budgetMs: RULE_EVALUATION_BUDGET,
  });
  return shared;
}

/** Stops the process's rule evaluation threads (the API's shutdown); a later use starts new ones. */
export async function stopRuleEvaluation() {
  const pool = shared;
  shared = undefined;
  await pool?.close();
}

/**
 * The answer to a request whose evaluation was refused: 503 with Retry-After when every thread is busy, 400
 * naming `pointer` (what to send less of) when it ran over its budget. Any other error is not the pool's.
 */
export function evaluationRefused(c: Context, error: unknown, pointer: string) {
  if (error instanceof EvaluationBusy) {
    c.header('Retry-After', String(error.retryAfterS));
    return problem(c, {
      title: 'Service Unavailable',
      status: 503,
      detail: `Rule evaluation is busy; retry after ${error.retryAfterS} s.`,
    });
  }
  if (error instanceof EvaluationOverBudget)
    return invalid(c, [
      {
        pointer,
        detail: `evaluating this took longer than ${error.budgetMs} ms; send fewer events or examples`,
      },
    ]);
  throw error;
}
