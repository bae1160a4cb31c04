import { afterEach, describe, expect, it } from 'vitest';
import { runExamples } from '../rules/examples.js';
import { eventsOfOneClient, ruleSchema } from '../rules/rule-schema.js';
import { problemsOf, validateRuleDocument, type RuleContext } from '../rules/rule-validation.js';
import { simulate } from '../rules/simulate.js';
import { distinctMerchantsRule, distinctMerchantsWithExamples, rides } from '../test/support/heavy-rules.js';
import { taxiRule } from '../test/support/taxi-rule.js';
import { EvaluationBusy, EvaluationOverBudget, RuleEvaluationPool } from './rule-evaluation-pool.js';

const ZONE = 'Europe/Kyiv';
const context: RuleContext = {
  nextVersion: 2,
  achievementsOfOthers: new Map([['coffee-lover', 'coffee-lover']]),
  closingBudgets: new Map(),
  namedByOthers: new Map(),
  partners: new Set(['coffee-house']),
  zone: ZONE,
};

const pools: RuleEvaluationPool[] = [];
const poolOf = (threads: number, queue: number, budgetMs: number) => {
  const pool = new RuleEvaluationPool({ threads, queue, budgetMs });
  pools.push(pool);
  return pool;
};
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close()));
});

describe('the rule evaluation threads', () => {
  it('answer a simulation as the rule core answers it in-process', async () => {
    const body = { rule: distinctMerchantsRule, events: rides(300), segments: [] };
    const inProcess = simulate(
      ruleSchema.parse({ version: 1, ...distinctMerchantsRule }),
      eventsOfOneClient(1000).parse(body.events),
      ZONE,
    );
    const pool = poolOf(1, 0, 60_000);
    expect(await pool.run('simulateBody', { body, zone: ZONE })).toEqual({ ok: true, events: inProcess });
    const bad = { ...taxiRule, levels: [] };
    expect(await pool.run('simulateBody', { body: { ...body, rule: bad }, zone: ZONE })).toEqual({
      ok: false,
      problems: problemsOf(ruleSchema.safeParse({ version: 1, ...bad }).error!, ['rule']),
    });
  });

  it('judge a draft with validateRuleDocument, as create does, and trace its examples', async () => {
    const failing = {
      ...taxiRule,
      levels: [{ ...taxiRule.levels[0]!, achievementId: 'coffee-lover' }],
      examples: [{ ...taxiRule.examples[0]!, then: { unlocked: [] } }],
    };
    const pool = poolOf(1, 0, 60_000);
    for (const document of [taxiRule, failing, { ...taxiRule, version: 7 }]) {
      const verdict = await pool.run('checkDraft', { document, context, traces: true });
      const inProcess = validateRuleDocument(document, context);
      expect(verdict.result.ok).toBe(inProcess.ok);
      if (!inProcess.ok) expect(verdict.result).toEqual(inProcess);
      const rule = ruleSchema.parse({ ...document, version: 2 });
      expect(verdict.examples.map((example) => example.trace)).toEqual(
        runExamples(rule, ZONE).map((example) => example.trace),
      );
    }
    expect(await pool.run('checkDraft', { document: taxiRule, context, traces: false })).toEqual({
      result: { ok: true, ruleId: 'taxi-rider', version: 2, document: { ...taxiRule, version: 2 } },
      examples: [],
    });
  });

  it('refuse a task when every thread is busy and the queue is full, saying when to come back', async () => {
    const pool = poolOf(1, 1, 3_000);
    const simulation = () =>
      pool.run('simulateBody', { body: { rule: taxiRule, events: rides(3) }, zone: ZONE });
    const [running, queued, refused] = await Promise.allSettled([simulation(), simulation(), simulation()]);
    expect(running.status).toBe('fulfilled');
    expect(queued.status).toBe('fulfilled');
    expect(refused).toEqual({ status: 'rejected', reason: expect.any(EvaluationBusy) });
    expect((refused as PromiseRejectedResult).reason).toMatchObject({ retryAfterS: 3 });
  });

  it('stop a task over its budget, and run the next on a new thread', async () => {
    // Far apart, so a busy machine slows neither across the budget: the light task takes milliseconds, and
    // 50 examples of 500 events (more than a request may carry) take several seconds.
    const pool = poolOf(1, 1, 1_000);
    const heavier = {
      ...distinctMerchantsWithExamples,
      examples: distinctMerchantsWithExamples.examples.map((example) => ({ ...example, given: rides(500) })),
    };
    const heavy = pool.run('checkDraft', { document: heavier, context, traces: true });
    const next = pool.run('simulateBody', { body: { rule: taxiRule, events: rides(3) }, zone: ZONE });
    await expect(heavy).rejects.toBeInstanceOf(EvaluationOverBudget);
    expect(await next).toMatchObject({ ok: true, events: [{}, {}, {}] });
  });

  it('refuse every task once closed', async () => {
    const pool = poolOf(1, 1, 1_000);
    await pool.close();
    await expect(
      pool.run('simulateBody', { body: { rule: taxiRule, events: rides(1) }, zone: ZONE }),
    ).rejects.toBeInstanceOf(EvaluationBusy);
  });
});
