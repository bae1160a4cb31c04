import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout } from 'node:timers/promises';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { reloadConfig } from '../platform/config.js';
import { eventsOfOneClient, ruleSchema } from '../rules/rule-schema.js';
import type { RuleContext } from '../rules/rule-validation.js';
import { simulate } from '../rules/simulate.js';
import { apiDependencies } from '../test/support/api.js';
import { distinctMerchantsRule, distinctMerchantsWithExamples, rides } from '../test/support/heavy-rules.js';
import { taxiRule } from '../test/support/taxi-rule.js';
import { requestsAs } from '../test/support/tokens.js';
import { createApp } from './app.js';
import { checkDraft, validateDraft } from './rule-drafts.js';
import { ruleEvaluation, stopRuleEvaluation } from './rule-evaluation.js';

const ZONE = 'Europe/Kyiv';
const context: RuleContext = {
  nextVersion: 1,
  achievementsOfOthers: new Map(),
  closingBudgets: new Map(),
  namedByOthers: new Map(),
  partners: new Set(),
  zone: ZONE,
};
const base = apiDependencies();
const app = createApp({
  ...base,
  rules: {
    ...base.rules,
    check: (document) => checkDraft(document, context),
    create: (document) => validateDraft(document, context),
  },
});
const call = requestsAs(app, { role: 'admin', sub: 'emp-11' });

/** The process's evaluation threads, started anew as these variables (and defaults) configure them. */
async function configure(variables: Record<string, string>) {
  await stopRuleEvaluation();
  vi.unstubAllEnvs();
  for (const [name, value] of Object.entries(variables)) vi.stubEnv(name, value);
  reloadConfig();
}

afterAll(async () => {
  await stopRuleEvaluation();
  vi.unstubAllEnvs();
  reloadConfig();
});

describe('rule evaluation off the event loop', () => {
  it('simulates as the rule core does in-process, and names a bad field by JSON pointer', async () => {
    await configure({ RULE_EVALUATION_THREADS: '1', RULE_EVALUATION_QUEUE: '4' });
    const events = rides(40);
    const response = await call('POST', '/v1/admin/rules/simulate', { rule: taxiRule, events });
    expect(response.status).toBe(200);
    const traced = simulate(
      ruleSchema.parse({ version: 1, ...taxiRule }),
      eventsOfOneClient(40).parse(events),
      ZONE,
    );
    expect(await response.json()).toEqual({ events: traced, unlocked: traced.flatMap((e) => e.unlocked) });

    const refused = await call('POST', '/v1/admin/rules/simulate', {
      rule: { ...taxiRule, measure: {} },
      events: [],
    });
    expect(refused.status).toBe(400);
    expect(
      ((await refused.json()) as { errors: { pointer: string }[] }).errors.map((e) => e.pointer),
    ).toEqual(['/events']);
    const badRule = await call('POST', '/v1/admin/rules/simulate', {
      rule: { ...taxiRule, levels: [] },
      events,
    });
    expect(((await badRule.json()) as { errors: { pointer: string }[] }).errors[0]!.pointer).toBe(
      '/rule/levels',
    );
  });

  it('simulates a composite given what the client came to hold (holds), and names a hold that fits nothing', async () => {
    await configure({ RULE_EVALUATION_THREADS: '1', RULE_EVALUATION_QUEUE: '4' });
    const rule = {
      ...taxiRule,
      id: 'taxi-and-coffee',
      trigger: { on: 'achievements', of: ['taxi-rider', 'coffee-lover'] },
      filter: undefined,
      window: { type: 'lifetime' },
      levels: [{ ...taxiRule.levels[0], achievementId: 'taxi-and-coffee', target: 2 }],
      examples: [],
    };
    const events = [
      { id: 'ride', amount: 9000, time: '2026-11-20T12:00:00+02:00', categoryId: 4121 },
      { id: 'latte', amount: 6000, time: '2026-11-21T09:00:00+02:00', categoryId: 5814 },
    ];
    const holds = [
      { achievement: 'taxi-rider', on: 'ride' },
      { achievement: 'coffee-lover', on: 'latte' },
    ];
    const response = await call('POST', '/v1/admin/rules/simulate', { rule, events, holds });
    expect(response.status).toBe(200);
    const { unlocked } = (await response.json()) as { unlocked: string[] };
    expect(unlocked).toEqual(['taxi-and-coffee']);
    const refused = await call('POST', '/v1/admin/rules/simulate', {
      rule,
      events,
      holds: [{ achievement: 'coffee-lover', on: 'espresso' }],
    });
    expect(refused.status).toBe(400);
    expect(
      ((await refused.json()) as { errors: { pointer: string }[] }).errors.map((e) => e.pointer),
    ).toEqual(['/holds/0/on']);
  });

  it('keeps the event loop free while heavy simulations run: a catalog read answers before them', async () => {
    await configure({ RULE_EVALUATION_THREADS: '1', RULE_EVALUATION_QUEUE: '4' });
    const body = { rule: distinctMerchantsRule, events: rides(1000) };
    // What one of these simulations held the event loop for when it ran in-process, warm.
    const rule = ruleSchema.parse({ version: 1, ...distinctMerchantsRule });
    const events = eventsOfOneClient(1000).parse(body.events);
    const inProcessMs = Math.min(
      ...[1, 2, 3].map(() => {
        const started = performance.now();
        simulate(rule, events, ZONE);
        return performance.now() - started;
      }),
    );
    // Its timer ticks before the requests go and after they are answered, so every hold between is measured.
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    await setTimeout(20);
    const answered: string[] = [];
    const noted = (what: string) => (response: Response) => void answered.push(`${what} ${response.status}`);
    const simulations = [1, 2, 3].map(() =>
      call('POST', '/v1/admin/rules/simulate', body).then(noted('simulation')),
    );
    const catalog = Promise.resolve(app.request('/v1/catalog')).then(noted('catalog'));
    await Promise.all([...simulations, catalog]);
    await setTimeout(20);
    delay.disable();
    expect(answered).toEqual(['catalog 200', 'simulation 200', 'simulation 200', 'simulation 200']);
    const longestMs = delay.max / 1e6;
    // The figures compared are said with a failure, not printed with every run.
    expect(
      longestMs,
      `in-process simulation ${inProcessMs.toFixed(0)} ms; longest event-loop delay ${longestMs.toFixed(1)} ms`,
    ).toBeLessThan(inProcessMs / 2);
  });

  it.each([
    ['/v1/admin/rules/simulate', { rule: taxiRule, events: rides(3) }],
    ['/v1/admin/rules/check', taxiRule],
    ['/v1/admin/rules', taxiRule],
    ['/v1/admin/dry-runs', { rule: taxiRule, from: '2026-01-01T00:00:00Z' }],
  ])(
    'answers %s with 503 and Retry-After when every thread is busy and the queue is full',
    async (path, body) => {
      await configure({
        RULE_EVALUATION_THREADS: '1',
        RULE_EVALUATION_QUEUE: '1',
        RULE_EVALUATION_BUDGET: '3s',
      });
      // The one thread (still starting) takes one simulation, the queue the other.
      const heavy = { body: { rule: distinctMerchantsRule, events: rides(1000) }, zone: ZONE };
      const [running, queued] = [1, 2].map(() => ruleEvaluation().run('simulateBody', heavy));
      const refused = await call('POST', path, body);
      expect(await refused.json()).toMatchObject({ status: 503, detail: expect.stringMatching(/busy/) });
      expect(refused.headers.get('Retry-After')).toBe('3');
      expect(refused.headers.get('Content-Type')).toMatch(/problem\+json/);
      expect(await running).toMatchObject({ ok: true });
      expect(await queued).toMatchObject({ ok: true });
    },
  );

  it('refuses a request that runs over its budget with 400 naming what to send less of', async () => {
    await configure({
      RULE_EVALUATION_THREADS: '1',
      RULE_EVALUATION_QUEUE: '1',
      RULE_EVALUATION_BUDGET: '50ms',
    });
    const simulation = await call('POST', '/v1/admin/rules/simulate', {
      rule: distinctMerchantsRule,
      events: rides(1000),
    });
    expect(simulation.status).toBe(400);
    expect(await simulation.json()).toMatchObject({
      errors: [{ pointer: '/events', detail: expect.stringMatching(/50 ms/) }],
    });
    const check = await call('POST', '/v1/admin/rules/check', distinctMerchantsWithExamples);
    expect(check.status).toBe(400);
    expect(await check.json()).toMatchObject({ errors: [{ pointer: '/examples' }] });
  });
});
