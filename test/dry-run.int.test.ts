import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../api/app.js';
import { startRuleFeed, type RuleFeed } from '../platform/rule-feed.js';
import { buildCatalog } from '../rules/catalog.js';
import { apiDependencies } from './support/api.js';
import { bankHistory, countsOf, expectedUnlocks } from './support/bank-history.js';
import { coffeeFanRule } from './support/coffee-fan-rule.js';
import { eventually, nextWrittenAt, ownInputTopics, produceEvents } from './support/engine.js';
import { days, purchase } from './support/events.js';
import {
  historyWithAHole,
  replayDependencies,
  startReplayWorker,
  temporalClient,
} from './support/replays.js';
import { migratedSchema, testKafka, uniqueName } from './support/stack.js';
import { requestsAs } from './support/tokens.js';

const fan = buildCatalog([{ source: 'coffee-fan', document: { version: 1, ...coffeeFanRule } }]);

describe.each([
  ['on the activity’s thread', undefined],
  ['on two replay threads (workflows/replay-threads.ts)', 2],
])('dry runs over the input topics’ history (CONTRACT §6), %s', (_, threadCount) => {
  const kafka = testKafka();
  const taskQueue = uniqueName('replays');
  let db: Awaited<ReturnType<typeof migratedSchema>>;
  let topics: Awaited<ReturnType<typeof ownInputTopics>>;
  let temporal: Awaited<ReturnType<typeof temporalClient>>;
  let rules: RuleFeed;
  let worker: Awaited<ReturnType<typeof startReplayWorker>>;
  let app: ReturnType<typeof createApp>;

  beforeAll(async () => {
    db = await migratedSchema();
    topics = await ownInputTopics(kafka, 3);
    temporal = await temporalClient();
    rules = await startRuleFeed(db.pool);
    worker = await startReplayWorker(db.pool, rules, temporal.client, {
      taskQueue,
      ...(threadCount ? { threads: { count: threadCount, schema: db.schema } } : {}),
    });
    app = createApp(
      apiDependencies({
        replays: replayDependencies(db.pool, temporal.client, { taskQueue, topics }),
      }),
    );
  });

  afterAll(async () => {
    await worker?.stop();
    rules?.stop();
    await temporal?.close();
    await db?.drop();
  });

  const call = (method: string, path: string, body?: unknown, role = 'admin') =>
    requestsAs(app, { role, sub: 'emp-3' })(method, path, body);

  const finished = (dryRunId: string) =>
    eventually(
      async () =>
        (await (await call('GET', `/v1/admin/dry-runs/${dryRunId}`, undefined, 'support')).json()) as {
          status: string;
          eventsReplayed: number;
          eventsTotal: number;
          clients: Record<string, number>;
          points: number;
          budget: unknown;
        },
      (view) => view.status !== 'running',
      60_000,
      // Within the API's 60 operations a minute per caller, whatever else the test asked before.
      2_000,
    );

  it('counts, from a time on, the clients who would hold each level and the points, as the test’s own replay does', async () => {
    const clients = Array.from({ length: 60 }, () => uniqueName('c'));
    // Records written before `from` are not replayed, even though their event times fall in the same month.
    await produceEvents(kafka, topics, bankHistory(clients, 1, { from: 1, to: 10 }));
    const from = (await nextWrittenAt()).toISOString();
    const history = bankHistory(clients, 2, { from: 5, to: 28 });
    await produceEvents(kafka, topics, history);

    const started = await call('POST', '/v1/admin/dry-runs', { rule: coffeeFanRule, from });
    expect(started.status).toBe(202);
    const { dryRunId } = (await started.json()) as { dryRunId: string };
    const result = await finished(dryRunId);
    const expected = countsOf(expectedUnlocks(history, fan), fan);
    expect(result).toMatchObject({
      status: 'done',
      eventsReplayed: history.length,
      eventsTotal: history.length,
      ...expected,
    });
    expect(expected.clients['coffee-fan-silver']).toBeGreaterThan(0);

    // Again: the same answer. And nothing but the dry runs' own rows was written.
    const again = (await (
      await call('POST', '/v1/admin/dry-runs', { rule: coffeeFanRule, from })
    ).json()) as {
      dryRunId: string;
    };
    expect(await finished(again.dryRunId)).toMatchObject({ status: 'done', ...expected });
    const written = await db.pool.query<{ n: string }>(
      `SELECT (SELECT count(*) FROM client_progress) + (SELECT count(*) FROM achievement_unlocks)
            + (SELECT count(*) FROM outbox) + (SELECT count(*) FROM consumer_offsets)
            + (SELECT count(*) FROM replay_client_state) AS n`,
    );
    expect(Number(written.rows[0]!.n)).toBe(0);
    const audit = await db.pool.query<{ action: string; actor_id: string }>(
      "SELECT action, actor_id FROM audit_log WHERE action = 'rule.dry-run'",
    );
    expect(audit.rows).toEqual([
      { action: 'rule.dry-run', actor_id: 'emp-3' },
      { action: 'rule.dry-run', actor_id: 'emp-3' },
    ]);
  });

  it('says of a budgeted rule what its budget has left and whether what it found would close it', async () => {
    const clients = Array.from({ length: 20 }, () => uniqueName('b'));
    const from = (await nextWrittenAt()).toISOString();
    const history = bankHistory(clients, 3, { from: 1, to: 28 });
    await produceEvents(kafka, topics, history);
    const found = countsOf(expectedUnlocks(history, fan), fan);
    const unlocks = Object.values(found.clients).reduce((sum, n) => sum + n, 0);
    expect(unlocks).toBeGreaterThan(3);
    // The rule's live versions already gave 3 unlocks: a new version shares what is left.
    const rule = { ...coffeeFanRule, id: uniqueName('coffee-fan') };
    await db.pool.query(
      'INSERT INTO rule_budgets (rule_id, unlocks_spent, points_spent) VALUES ($1, 3, 30)',
      [rule.id],
    );
    const outlook = async (budget: Record<string, unknown>) => {
      const started = await call('POST', '/v1/admin/dry-runs', { rule: { ...rule, budget }, from });
      expect(started.status).toBe(202);
      const view = await finished(((await started.json()) as { dryRunId: string }).dryRunId);
      expect(view.status).toBe('done');
      return view.budget;
    };
    expect(await outlook({ unlocks: unlocks + 3, atLimit: 'close' })).toEqual({
      unlocksLeft: unlocks,
      pointsLeft: null,
      wouldClose: false,
    });
    expect(await outlook({ unlocks: unlocks + 2, points: 1_000_000, atLimit: 'without-points' })).toEqual({
      unlocksLeft: unlocks - 1,
      pointsLeft: 1_000_000 - 30,
      wouldClose: true,
    });
  });

  it('counts a follow-up only from the time each client came to hold what it follows, as live processing holds it', async () => {
    const [holder, lateHolder, stranger] = ['f', 'f', 'f'].map(uniqueName);
    // Live state: the holder made its first purchase on November 1, the late holder on the 20th, both before
    // the history the dry run reads.
    await db.pool.query(
      `INSERT INTO achievement_unlocks
         (unlock_id, client_id, achievement_id, rule_id, points, unlocked_at, source_event_id)
       SELECT gen_random_uuid(), client_id, 'first-purchase', 'first-purchase', 50, at, 'tx-' || client_id
         FROM unnest($1::text[], $2::timestamptz[]) AS u (client_id, at)`,
      [
        [holder, lateHolder],
        ['2026-11-01T10:00:00.000Z', '2026-11-20T10:00:00.000Z'],
      ],
    );
    const from = (await nextWrittenAt()).toISOString();
    await produceEvents(
      kafka,
      topics,
      [holder, lateHolder, stranger].flatMap((clientId) =>
        days('2026-11-05', 3).map((time) => purchase({ clientId, categoryId: 5814, time })),
      ),
    );
    const rule = { ...coffeeFanRule, id: uniqueName('fan-after'), after: { achievement: 'first-purchase' } };
    const started = await call('POST', '/v1/admin/dry-runs', { rule, from });
    expect(started.status).toBe(202);
    const view = await finished(((await started.json()) as { dryRunId: string }).dryRunId);
    expect(view).toMatchObject({
      status: 'done',
      clients: { 'coffee-fan-bronze': 1, 'coffee-fan-silver': 0 },
    });
  });

  it('refuses what it cannot do with a problem naming the field: a bad rule, a time to come, a history retention cut', async () => {
    const bad = await call('POST', '/v1/admin/dry-runs', {
      rule: { ...coffeeFanRule, levels: [] },
      from: '2026-11-01T00:00:00Z',
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: { pointer: string }[] }).errors[0]!.pointer).toBe('/rule/levels');
    const future = await call('POST', '/v1/admin/dry-runs', {
      rule: coffeeFanRule,
      from: '2999-01-01T00:00:00Z',
    });
    expect(future.status).toBe(400);
    expect(await future.json()).toMatchObject({ errors: [{ pointer: '/from' }] });
    expect(
      (
        await call(
          'POST',
          '/v1/admin/dry-runs',
          { rule: coffeeFanRule, from: '2026-11-01T00:00:00Z' },
          'support',
        )
      ).status,
    ).toBe(403);
    expect(
      (await call('GET', `/v1/admin/dry-runs/${crypto.randomUUID()}`, undefined, 'support')).status,
    ).toBe(404);

    // Records deleted from the start of a partition: a replay from before the oldest one left is refused.
    const hole = await historyWithAHole(kafka);
    const cutApp = createApp(
      apiDependencies({
        replays: replayDependencies(db.pool, temporal.client, { taskQueue, topics: hole.topics }),
      }),
    );
    const dryRun = (fromTime: string) =>
      requestsAs(cutApp, { role: 'admin', sub: 'emp-3' })('POST', '/v1/admin/dry-runs', {
        rule: coffeeFanRule,
        from: fromTime,
      });
    // A time before 1970 asks for the whole history, which is not all there either.
    for (const fromTime of [hole.before, '0197-01-31T15:04:35-18:55']) {
      const refused = await (await dryRun(fromTime)).json();
      expect(refused).toMatchObject({ status: 400, errors: [{ pointer: '/from' }] });
      expect((refused as { errors: { detail: string }[] }).errors[0]!.detail).toMatch(
        /no longer holds all its history .* the earliest time to replay from now is 20\d\d-/,
      );
    }
  });
});
