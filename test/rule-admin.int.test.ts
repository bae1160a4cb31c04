import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutputTopics } from '../platform/unlock-records.js';
import {
  eventually,
  ownInputTopics,
  ownOutputTopics,
  processedThrough,
  produceEvents,
  readTopic,
  startTestProcessor,
  topicEnds,
} from './support/engine.js';
import { purchase } from './support/events.js';
import { startRuleApi } from './support/rule-api.js';
import { migratedSchema, testKafka, uniqueName } from './support/stack.js';
import { taxiRule } from './support/taxi-rule.js';

describe('rules as versioned data, live without a restart', () => {
  const kafka = testKafka();
  let db: Awaited<ReturnType<typeof migratedSchema>>;
  let topics: Awaited<ReturnType<typeof ownInputTopics>>;
  let processor: Awaited<ReturnType<typeof startTestProcessor>>;
  let api: Awaited<ReturnType<typeof startRuleApi>>;
  let outputs: OutputTopics;

  beforeAll(async () => {
    db = await migratedSchema();
    topics = await ownInputTopics(kafka);
    outputs = await ownOutputTopics(kafka);
    processor = await startTestProcessor(db.pool, topics, uniqueName('group'), outputs);
    api = await startRuleApi(db.pool, ['coffee-house']);
  });

  afterAll(async () => {
    api?.stop();
    await processor?.stop();
    await db?.drop();
  });

  const call = (method: string, path: string, body?: unknown, role = 'admin') =>
    api.call(method, path, body, { role, sub: 'emp-7' });
  const rides = (clientId: string, times: string[]) =>
    times.map((time) => purchase({ clientId, categoryId: 4121, amount: 15_000, time }));
  const unlockOf = async (clientId: string) =>
    (
      await db.pool.query<{ achievement_id: string; rule_version: number }>(
        `SELECT achievement_id, rule_version FROM achievement_unlocks WHERE client_id = $1 AND rule_id = 'taxi-rider'`,
        [clientId],
      )
    ).rows;
  const processedAll = (count: number) => processedThrough(db.pool, topics.transactions, count);
  const liveOnProcessor = (version: number | undefined) =>
    eventually(
      () =>
        Promise.resolve(
          processor.rules
            .book()
            .active()
            .rules.find((r) => r.id === 'taxi-rider')?.version,
        ),
      (live) => live === version,
    );
  let produced = 0;
  const produce = async (events: ReturnType<typeof rides>) => {
    await produceEvents(kafka, topics, events);
    produced += events.length;
    await processedAll(produced);
  };

  it('walks the five-minute achievement: refused with pointers, created, activated, unlocked, edited, stopped', async () => {
    const failing = { ...taxiRule, examples: [{ ...taxiRule.examples[0], then: { unlocked: [] } }] };
    const refused = await call('POST', '/v1/admin/rules', failing);
    expect(refused.status).toBe(400);
    expect(refused.headers.get('Content-Type')).toMatch(/problem\+json/);
    expect(((await refused.json()) as { errors: { pointer: string }[] }).errors).toEqual([
      expect.objectContaining({ pointer: '/examples/0/then/unlocked' }),
    ]);
    expect((await call('POST', '/v1/admin/rules', taxiRule, 'support')).status).toBe(403);

    const created = await call('POST', '/v1/admin/rules', taxiRule);
    expect(created.status).toBe(201);
    expect(await created.json()).toEqual({ ruleId: 'taxi-rider', version: 1 });

    // A ride before activation counts for nothing: the rule was not live.
    const early = uniqueName('c');
    await produce(rides(early, ['2026-11-16T08:00:00+02:00']));

    const activatedAt = Date.now();
    const activated = await call('POST', '/v1/admin/rules/taxi-rider/versions/1/activate', {});
    expect(activated.status).toBe(202);
    expect(await activated.json()).toMatchObject({
      outcome: 'activated',
      progress: { kept: false, startsAt: 'activation' },
    });
    await liveOnProcessor(1);
    const liveMs = Date.now() - activatedAt;
    const rider = uniqueName('c');
    const watchFrom = await topicEnds(kafka, outputs.unlocked);
    await produceEvents(
      kafka,
      topics,
      rides(rider, ['2026-11-16T08:00:00+02:00', '2026-11-18T19:00:00+02:00', '2026-11-20T23:10:00+02:00']),
    );
    produced += 3;
    await eventually(
      () => unlockOf(rider),
      (rows) => rows.length === 1,
    );
    console.log(
      `activation → live on the processor ${liveMs} ms; → first unlock ${Date.now() - activatedAt} ms`,
    );
    expect(await unlockOf(rider)).toEqual([{ achievement_id: 'taxi-rider', rule_version: 1 }]);
    const [record] = await readTopic(
      kafka,
      outputs.unlocked,
      watchFrom,
      (message) => message.value!.toString().includes('"achievementId":"taxi-rider"'),
      (seen) => seen.length >= 1,
    );
    expect(JSON.parse(record!.value!.toString())).toMatchObject({
      clientId: rider,
      ruleId: 'taxi-rider',
      ruleVersion: 1,
    });

    await produce(rides(early, ['2026-11-17T08:00:00+02:00', '2026-11-18T08:00:00+02:00']));
    expect(await unlockOf(early)).toEqual([]);

    // The API's rule feed reads the rule book every second, apart from the processor's: the achievement is
    // listed once it has read the activation (in CI, the unlock was once stored before it had).
    const shown = () => api.call('GET', '/v1/me/achievements', undefined, { role: 'client', sub: rider });
    const mine = await eventually(
      async () =>
        ((await (await shown()).json()) as { achievements: { id: string; unlocked: boolean }[] })
          .achievements,
      (achievements) => achievements.some((a) => a.id === 'taxi-rider'),
    );
    expect(mine.find((a) => a.id === 'taxi-rider')).toMatchObject({ unlocked: true });

    // An edit of points keeps everyone's progress: two rides under v1, the third under v2 unlocks.
    const halfway = uniqueName('c');
    await produce(rides(halfway, ['2026-11-16T09:00:00+02:00', '2026-11-17T09:00:00+02:00']));
    const v2 = { ...taxiRule, levels: [{ ...taxiRule.levels[0], points: 60 }] };
    expect(await (await call('POST', '/v1/admin/rules', v2)).json()).toEqual({
      ruleId: 'taxi-rider',
      version: 2,
    });
    const kept = await call('POST', '/v1/admin/rules/taxi-rider/versions/2/activate');
    expect(await kept.json()).toMatchObject({ outcome: 'activated', progress: { kept: true, since: 1 } });
    await liveOnProcessor(2);
    await produce(rides(halfway, ['2026-11-18T09:00:00+02:00']));
    expect(await unlockOf(halfway)).toEqual([{ achievement_id: 'taxi-rider', rule_version: 2 }]);

    // A new window measures something else: two rides counted under v2 do not carry over to v3.
    const restarted = uniqueName('c');
    await produce(rides(restarted, ['2026-11-16T10:00:00+02:00', '2026-11-17T10:00:00+02:00']));
    const monthly = { ...v2, window: { type: 'calendar', unit: 'month' } };
    expect((await call('POST', '/v1/admin/rules', monthly)).status).toBe(201);
    const fresh = await call('POST', '/v1/admin/rules/taxi-rider/versions/3/activate');
    expect(await fresh.json()).toMatchObject({ progress: { kept: false, startsAt: 'activation' } });
    await liveOnProcessor(3);
    await produce(rides(restarted, ['2026-11-18T10:00:00+02:00']));
    expect(await unlockOf(restarted)).toEqual([]);
    await produce(rides(restarted, ['2026-11-19T10:00:00+02:00', '2026-11-20T10:00:00+02:00']));
    expect(await unlockOf(restarted)).toEqual([{ achievement_id: 'taxi-rider', rule_version: 3 }]);

    // Deactivated: no new progress or unlocks; earned unlocks stay.
    expect(await (await call('POST', '/v1/admin/rules/taxi-rider/deactivate')).json()).toEqual({
      ruleId: 'taxi-rider',
      outcome: 'deactivated',
    });
    await liveOnProcessor(undefined);
    const late = uniqueName('c');
    await produce(
      rides(late, ['2026-11-18T11:00:00+02:00', '2026-11-19T11:00:00+02:00', '2026-11-20T11:00:00+02:00']),
    );
    expect(await unlockOf(late)).toEqual([]);
    expect(await unlockOf(rider)).toHaveLength(1);

    const listed = (await (await call('GET', '/v1/admin/rules', undefined, 'support')).json()) as {
      rules: { ruleId: string; active: unknown; versions: unknown[] }[];
    };
    const taxi = listed.rules.find((rule) => rule.ruleId === 'taxi-rider')!;
    expect(taxi.versions).toHaveLength(3);
    expect(taxi.active).toBeNull();
    expect(listed.rules.find((rule) => rule.ruleId === 'coffee-lover')!.active).toMatchObject({
      version: 1,
      progress: { kept: false },
    });
    const { rows: audit } = await db.pool.query<{ action: string; target: string; actor_id: string }>(
      `SELECT action, target, actor_id FROM audit_log WHERE action LIKE 'rule.%' ORDER BY id`,
    );
    expect(audit.map((entry) => `${entry.action} ${entry.target} by ${entry.actor_id}`)).toEqual([
      'rule.create taxi-rider v1 by emp-7',
      'rule.activate taxi-rider v1 by emp-7',
      'rule.create taxi-rider v2 by emp-7',
      'rule.activate taxi-rider v2 by emp-7',
      'rule.create taxi-rider v3 by emp-7',
      'rule.activate taxi-rider v3 by emp-7',
      'rule.deactivate taxi-rider by emp-7',
    ]);
  });

  it('checks a draft as its next version, with its examples run, and stores nothing (support may check)', async () => {
    const check = async (document: unknown) => {
      const response = await call('POST', '/v1/admin/rules/check', document, 'support');
      expect(response.status).toBe(200);
      return (await response.json()) as {
        ok: boolean;
        version: number;
        problems: { pointer: string; detail: string }[];
        examples: { name: string; passed: boolean; trace: unknown[] }[];
      };
    };
    const draft = {
      ...taxiRule,
      id: 'taxi-checked',
      levels: [{ ...taxiRule.levels[0]!, achievementId: 'taxi-checked' }],
    };
    const wrongTarget = { ...draft, levels: [{ ...draft.levels[0]!, target: 4 }] };
    const failing = await check({
      ...wrongTarget,
      examples: [{ ...taxiRule.examples[0]!, then: { unlocked: ['taxi-checked'], measures: [1, 1, 2, 3] } }],
    });
    expect(failing).toMatchObject({ ok: false, version: 1, examples: [{ passed: false }] });
    expect(failing.problems[0]!.pointer).toBe('/examples/0/then/unlocked');
    const passing = await check({
      ...draft,
      examples: [{ ...taxiRule.examples[0]!, then: { unlocked: ['taxi-checked'], measures: [1, 1, 2, 3] } }],
    });
    expect(passing).toMatchObject({ ok: true, version: 1, problems: [], examples: [{ passed: true }] });
    expect(passing.examples[0]!.trace).toHaveLength(4);
    const broken = await check({ ...draft, measure: { type: 'average' } });
    expect(broken).toMatchObject({ ok: false, examples: [] });
    expect(broken.problems[0]!.pointer).toMatch(/^\/measure/);
    const listed = (await (await call('GET', '/v1/admin/rules')).json()) as { rules: { ruleId: string }[] };
    expect(listed.rules.map((rule) => rule.ruleId)).not.toContain('taxi-checked');
  });

  it('judges a draft alike when checking and when creating it, through one validation', async () => {
    const id = 'taxi-judged';
    const level = { ...taxiRule.levels[0]!, achievementId: id };
    const example = { ...taxiRule.examples[0]!, then: { unlocked: [id], measures: [1, 1, 2, 3] } };
    const draft = { ...taxiRule, id, levels: [level], examples: [example] };
    const refused = [
      { ...draft, levels: [{ ...level, target: 4 }] },
      { ...draft, levels: [{ ...level, achievementId: 'coffee-lover' }], examples: [] },
      { ...draft, levels: [{ ...level, partner: 'nobody' }] },
      { ...draft, levels: [{ ...level, title: { ...level.title, en: 'Taxi\u0000rider' } }] },
    ];
    for (const document of refused) {
      const checked = await call('POST', '/v1/admin/rules/check', document, 'support');
      const { problems } = (await checked.json()) as { problems: unknown[] };
      const created = await call('POST', '/v1/admin/rules', document);
      expect(created.status).toBe(400);
      expect(((await created.json()) as { errors: unknown[] }).errors).toEqual(problems);
      expect(problems).not.toEqual([]);
    }
  });

  it('numbers drafts of one rule created at once one after the other', async () => {
    const id = 'taxi-twice';
    const level = { ...taxiRule.levels[0]!, achievementId: id };
    const draft = { ...taxiRule, id, levels: [level], examples: [] };
    const created = await Promise.all([1, 2].map(() => call('POST', '/v1/admin/rules', draft)));
    expect(created.map((response) => response.status)).toEqual([201, 201]);
    const versions = await Promise.all(
      created.map(async (r) => ((await r.json()) as { version: number }).version),
    );
    expect(versions.sort()).toEqual([1, 2]);
  });

  it('refuses a rule reading an achievement whose budget closes, whichever of the two is created first', async () => {
    const level = (id: string) => ({ ...taxiRule.levels[0]!, achievementId: id });
    const budgeted = (id: string, atLimit: string) => ({
      ...taxiRule,
      id,
      levels: [level(id)],
      budget: { unlocks: 100, atLimit },
      examples: [],
    });
    const composite = (id: string, of: string) => ({
      id,
      trigger: { on: 'achievements', of: [of] },
      measure: { type: 'count' },
      window: { type: 'lifetime' },
      levels: [{ ...level(id), target: 1 }],
      examples: [],
    });
    const problems = async (response: Response) =>
      ((await response.json()) as { errors: { pointer: string }[] }).errors.map((e) => e.pointer);

    const voucher = uniqueName('voucher');
    expect((await call('POST', '/v1/admin/rules', budgeted(voucher, 'close'))).status).toBe(201);
    const reader = await call('POST', '/v1/admin/rules', composite(uniqueName('gold'), voucher));
    expect(reader.status).toBe(400);
    expect(await problems(reader)).toEqual(['/trigger/of/0']);

    const rides = uniqueName('rides');
    expect((await call('POST', '/v1/admin/rules', budgeted(rides, 'without-points'))).status).toBe(201);
    expect((await call('POST', '/v1/admin/rules', composite(uniqueName('gold'), rides))).status).toBe(201);
    const closing = await call('POST', '/v1/admin/rules', budgeted(rides, 'close'));
    expect(closing.status).toBe(400);
    expect(await problems(closing)).toEqual(['/budget/atLimit']);
  });

  it('answers 404 for a version that does not exist, and 400 for a backfill from a time to come', async () => {
    expect((await call('POST', '/v1/admin/rules/nope/versions/1/activate')).status).toBe(404);
    expect((await call('POST', '/v1/admin/rules/nope/deactivate')).status).toBe(404);
    const backfill = await call('POST', '/v1/admin/rules/coffee-lover/versions/1/activate', {
      backfillFrom: '2999-01-01T00:00:00Z',
    });
    expect(backfill.status).toBe(400);
    expect(await backfill.json()).toMatchObject({ errors: [{ pointer: '/backfillFrom' }] });
  });
});
