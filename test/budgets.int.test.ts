import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { createApp } from '../api/app.js';
import type { InputEvent } from '../rules/events.js';
import type { ReplayStatus } from '../workflows/replay-contract.js';
import { killGroup, startRole, type Child, type EngineRole } from '../scripts/children.js';
import { eventually, nextWrittenAt, processedToEnds, produceEvents, readTopic } from './support/engine.js';
import { purchase } from './support/events.js';
import { replayApi, temporalClient, TEST_RUN } from './support/replays.js';
import { ownEngine, type OwnEngine } from './support/roles.js';
import { migratedSchema, testKafka, uniqueName } from './support/stack.js';
import { requestsAs } from './support/tokens.js';

/** "The first N clients who buy a coffee get a voucher, then it closes": one level, first purchase at MCC 5814. */
function firstComeRule(id: string, unlocks: number, atLimit = 'close') {
  return {
    id,
    trigger: { on: 'transaction' },
    filter: { kinds: ['purchase'], categoryIds: [5814] },
    measure: { type: 'first' },
    window: { type: 'lifetime' },
    budget: { unlocks, atLimit },
    levels: [
      {
        achievementId: id,
        target: 1,
        points: 50,
        title: { en: 'Early bird', uk: 'Рання пташка', he: 'ציפור מוקדמת' },
        description: {
          en: 'One of the first to buy a coffee.',
          uk: 'Одна з перших кав.',
          he: 'מהראשונים לקנות קפה.',
        },
      },
    ],
  };
}

const coffeeOf = (clientId: string, day: number) =>
  purchase({ clientId, categoryId: 5814, time: `2026-10-${String(day).padStart(2, '0')}T09:00:00+03:00` });

describe('a budget across all clients: first come, never more than N (CONTRACT §6)', () => {
  const kafka = testKafka();
  const children: Child[] = [];
  let db: Awaited<ReturnType<typeof migratedSchema>>;
  let engine: OwnEngine;
  let temporal: Awaited<ReturnType<typeof temporalClient>>;
  let app: ReturnType<typeof createApp>;

  beforeAll(async () => {
    db = await migratedSchema();
    engine = await ownEngine(kafka, db.schema, 6);
    temporal = await temporalClient();
    app = replayApi(db.pool, temporal.client, {
      taskQueue: engine.queues.replays,
      topics: engine.inputs,
      groupId: engine.groups.processors,
      run: TEST_RUN,
    });
  });

  afterAll(async () => {
    for (const child of children) killGroup(child);
    await temporal?.close();
    await db?.drop();
  });

  const call = (method: string, path: string, body?: unknown) =>
    requestsAs(app, { role: 'admin', sub: 'emp-7' })(method, path, body);
  const started = async (role: EngineRole) => {
    const child = await startRole(role, engine.env);
    children.push(child);
    return child;
  };

  const spent = async (ruleId: string) =>
    Number(
      (
        await db.pool.query<{ n: string }>(
          'SELECT coalesce(max(unlocks_spent), 0) AS n FROM rule_budgets WHERE rule_id = $1',
          [ruleId],
        )
      ).rows[0]!.n,
    );

  /** What PostgreSQL holds of a rule's budget: unlocks stored, decisions, and the budget's row. */
  async function budgetOutcome(ruleId: string) {
    const { rows } = await db.pool.query<{
      unlocks: string[];
      granted: string;
      refused: string;
      spent: string;
    }>(
      `SELECT ARRAY(SELECT unlock_id::text FROM achievement_unlocks WHERE rule_id = $1 ORDER BY 1) AS unlocks,
              (SELECT count(*) FROM budget_spends WHERE rule_id = $1 AND granted) AS granted,
              (SELECT count(*) FROM budget_spends WHERE rule_id = $1 AND NOT granted) AS refused,
              (SELECT unlocks_spent FROM rule_budgets WHERE rule_id = $1) AS spent`,
      [ruleId],
    );
    const row = rows[0]!;
    return {
      unlocks: row.unlocks,
      granted: Number(row.granted),
      refused: Number(row.refused),
      spent: Number(row.spent),
    };
  }

  /** The distinct unlock ids of `ruleId` announced on the unlock topic, once `count` of them were read. */
  async function announced(ruleId: string, count: number) {
    const ids = (seen: { value: Buffer | null }[]) =>
      new Set(seen.map((m) => (JSON.parse(m.value!.toString()) as { unlockId: string }).unlockId));
    const seen = await readTopic(
      kafka,
      engine.outputs.unlocked,
      [{ partition: 0, offset: '0' }],
      (message) => message.value!.toString().includes(`"ruleId":"${ruleId}"`),
      (messages) => ids(messages).size >= count,
      60_000,
    );
    // Whatever else is still in the outbox is published too before counting: nothing more may come.
    await eventually(
      async () => Number((await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM outbox')).rows[0]!.n),
      (left) => left === 0,
    );
    return [...ids(seen)].sort();
  }

  it('grants exactly N with two processors, one killed (-9) at the Nth unlock, and a replay of everything after', async () => {
    const ruleId = uniqueName('early-bird');
    const N = 30;
    expect((await call('POST', '/v1/admin/rules', firstComeRule(ruleId, N))).status).toBe(201);
    expect((await call('POST', `/v1/admin/rules/${ruleId}/versions/1/activate`, {})).status).toBe(202);
    const first = await started('processor');
    await started('processor');

    // 90 clients' first coffees, in waves, so the Nth unlock comes while records are still arriving.
    const clients = Array.from({ length: 90 }, () => uniqueName('c'));
    const waves = Array.from({ length: 9 }, (_, w) =>
      clients.slice(w * 10, w * 10 + 10).map((c) => coffeeOf(c, 1 + w)),
    );
    const traffic = (async () => {
      for (const wave of waves) {
        await produceEvents(kafka, engine.inputs, wave);
        await new Promise((resolve) => setTimeout(resolve, 400));
      }
    })();
    const atKill = await eventually(
      () => spent(ruleId),
      (n) => n >= N - 1,
      120_000,
      5,
    );
    killGroup(first);
    await traffic;
    await started('processor');
    await processedToEnds(db.pool, kafka, engine.inputs, 120_000);
    console.log(`budget test: first processor killed with ${atKill} of ${N} unlocks granted`);

    const outcome = await budgetOutcome(ruleId);
    expect(outcome).toMatchObject({ granted: N, refused: clients.length - N, spent: N });
    expect(outcome.unlocks).toHaveLength(N);
    expect(await announced(ruleId, N)).toEqual(outcome.unlocks);
    const listed = (await (await call('GET', '/v1/admin/rules')).json()) as {
      rules: { ruleId: string; active: { budget: unknown } }[];
    };
    expect(listed.rules.find((rule) => rule.ruleId === ruleId)?.active.budget).toEqual({
      unlocksSpent: N,
      pointsSpent: N * 50,
      closedAt: expect.any(String),
    });

    // Every record decided again from nothing, as if PostgreSQL had lost the progress and the offsets but not
    // the budget: each unlock is decided as before, and nothing is spent twice.
    for (const child of children.splice(0)) killGroup(child);
    await forgetKafkaOffsets(engine.groups.processors, [
      engine.inputs.transactions,
      engine.inputs.clientEvents,
    ]);
    await db.pool.query('DELETE FROM client_progress');
    await db.pool.query('UPDATE consumer_offsets SET next_offset = 0');
    await started('processor');
    await processedToEnds(db.pool, kafka, engine.inputs, 120_000);
    expect(await budgetOutcome(ruleId)).toEqual(outcome);
  }, 300_000);

  it('shares the budget between a backfill and live processing spending it at once', async () => {
    const ruleId = uniqueName('early-bird');
    const N = 40;
    const historic = Array.from({ length: 40 }, () => uniqueName('h'));
    const newcomers = Array.from({ length: 40 }, () => uniqueName('n'));
    const from = (await nextWrittenAt()).toISOString();
    await produceEvents(
      kafka,
      engine.inputs,
      historic.map((c, i) => coffeeOf(c, 1 + (i % 20))),
    );
    await started('processor');
    await processedToEnds(db.pool, kafka, engine.inputs, 120_000);
    expect((await call('POST', '/v1/admin/rules', firstComeRule(ruleId, N))).status).toBe(201);
    await started('worker');
    const activated = await call('POST', `/v1/admin/rules/${ruleId}/versions/1/activate`, {
      backfillFrom: from,
    });
    expect(activated.status).toBe(202);
    const { backfill } = (await activated.json()) as { backfill: { workflowId: string } };
    // Newcomers buy their first coffee live while the backfill replays and merges the historic clients'.
    const live: InputEvent[] = newcomers.map((c, i) => coffeeOf(c, 21 + (i % 9)));
    for (let i = 0; i < live.length; i += 5) {
      await produceEvents(kafka, engine.inputs, live.slice(i, i + 5));
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    const status = (await temporal.client.workflow.getHandle(backfill.workflowId).result()) as ReplayStatus;
    expect(status).toMatchObject({ phase: 'done' });
    await processedToEnds(db.pool, kafka, engine.inputs, 120_000);

    const outcome = await budgetOutcome(ruleId);
    expect(outcome).toMatchObject({ granted: N, refused: historic.length + newcomers.length - N, spent: N });
    expect(outcome.unlocks).toHaveLength(N);
    const { rows } = await db.pool.query<{ backfilled: string; live: string }>(
      `SELECT count(*) FILTER (WHERE backfill_replay IS NOT NULL) AS backfilled,
              count(*) FILTER (WHERE backfill_replay IS NULL) AS live
         FROM achievement_unlocks WHERE rule_id = $1`,
      [ruleId],
    );
    console.log(`budget test: ${rows[0]!.backfilled} granted to the backfill, ${rows[0]!.live} live`);
    expect(Number(rows[0]!.backfilled) + Number(rows[0]!.live)).toBe(N);
  }, 300_000);

  it('goes on without points past a budget that says so: the unlock comes, with 0 points and beyondBudget', async () => {
    const ruleId = uniqueName('early-bird');
    expect((await call('POST', '/v1/admin/rules', firstComeRule(ruleId, 2, 'without-points'))).status).toBe(
      201,
    );
    expect((await call('POST', `/v1/admin/rules/${ruleId}/versions/1/activate`, {})).status).toBe(202);
    await started('processor');
    const clients = Array.from({ length: 4 }, () => uniqueName('w'));
    await produceEvents(
      kafka,
      engine.inputs,
      clients.map((c, i) => coffeeOf(c, 1 + i)),
    );
    await processedToEnds(db.pool, kafka, engine.inputs, 120_000);

    const { rows } = await db.pool.query<{ points: number; beyond_budget: boolean }>(
      'SELECT points, beyond_budget FROM achievement_unlocks WHERE rule_id = $1 ORDER BY points DESC',
      [ruleId],
    );
    expect(rows).toEqual([
      { points: 50, beyond_budget: false },
      { points: 50, beyond_budget: false },
      { points: 0, beyond_budget: true },
      { points: 0, beyond_budget: true },
    ]);
    const records = await readTopic(
      kafka,
      engine.outputs.unlocked,
      [{ partition: 0, offset: '0' }],
      (message) => message.value!.toString().includes(`"ruleId":"${ruleId}"`),
      (seen) => seen.length >= clients.length,
      60_000,
    );
    const values = records.map(
      (m) => JSON.parse(m.value!.toString()) as { points: number; beyondBudget?: true },
    );
    expect(values.filter((v) => v.beyondBudget === true).map((v) => v.points)).toEqual([0, 0]);
    expect(values.filter((v) => v.beyondBudget === undefined)).toHaveLength(2);
  }, 120_000);

  async function forgetKafkaOffsets(group: string, topicNames: string[]) {
    const admin = kafka.admin();
    await admin.connect();
    await eventually(
      async () => (await admin.describeGroups([group])).groups[0]!.state,
      (state) => state === 'Empty' || state === 'Dead',
      30_000,
    );
    for (const topic of topicNames) await admin.resetOffsets({ groupId: group, topic, earliest: true });
    await admin.disconnect();
  }
});
