import { ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { createApp } from '../api/app.js';
import { killGroup, startRole, type Child } from '../scripts/children.js';
import {
  BACKFILL_HEADER,
  cancelReplaySignal,
  pauseBackfillSignal,
  replayStatusQuery,
  resumeBackfillSignal,
  type ReplayStatus,
} from '../workflows/replay-contract.js';
import { bankHistory } from './support/bank-history.js';
import { coffeeFanRule } from './support/coffee-fan-rule.js';
import {
  eventually,
  nextWrittenAt,
  processedThrough,
  produceEvents,
  readTopic,
  startTestProcessor,
  topicEnds,
} from './support/engine.js';
import { historyWithAHole, replayApi, temporalClient, TEST_RUN } from './support/replays.js';
import { ownEngine, type OwnEngine } from './support/roles.js';
import { migratedSchema, testKafka, uniqueName } from './support/stack.js';
import { requestsAs } from './support/tokens.js';

/** The coffee-fan rule under another id (and achievement ids), so each test owns its rule. */
const fanRule = (id: string) => ({
  ...coffeeFanRule,
  id,
  levels: coffeeFanRule.levels.map((level, i) => ({ ...level, achievementId: `${id}-${i + 1}` })),
});

describe('operating a backfill: pause, cancel, its policy, and what it refuses', () => {
  const kafka = testKafka();
  let db: Awaited<ReturnType<typeof migratedSchema>>;
  let engine: OwnEngine;
  let topics: OwnEngine['inputs'];
  let temporal: Awaited<ReturnType<typeof temporalClient>>;
  let processor: Awaited<ReturnType<typeof startTestProcessor>>;
  let worker: Child;
  let app: ReturnType<typeof createApp>;
  let from: string;

  beforeAll(async () => {
    db = await migratedSchema();
    engine = await ownEngine(kafka, db.schema, 3);
    topics = engine.inputs;
    temporal = await temporalClient();
    processor = await startTestProcessor(db.pool, topics, engine.groups.processors, engine.outputs);
    worker = await startRole('worker', engine.env);
    // Short histories: a backfill here continues as new several times on its way, as a long one would.
    const run = { ...TEST_RUN, chunkRecords: 40, maxHistoryLength: 60 };
    app = replayApi(db.pool, temporal.client, {
      taskQueue: engine.queues.replays,
      topics,
      groupId: engine.groups.processors,
      run,
    });
    const clients = Array.from({ length: 80 }, () => uniqueName('c'));
    from = (await nextWrittenAt()).toISOString();
    const history = bankHistory(clients, 21, { from: 3, to: 27 });
    await produceEvents(kafka, topics, history);
    await processedThrough(
      db.pool,
      topics.transactions,
      history.filter((e) => e.type === 'TransactionReceived').length,
    );
  });

  afterAll(async () => {
    if (worker) killGroup(worker);
    await processor?.stop();
    await temporal?.close();
    await db?.drop();
  });

  const call = (method: string, path: string, body?: unknown) =>
    requestsAs(app, { role: 'admin', sub: 'emp-4' })(method, path, body);
  const activate = async (ruleId: string, body: unknown) => {
    const answer = await call('POST', `/v1/admin/rules/${ruleId}/versions/1/activate`, body);
    expect(answer.status).toBe(202);
    return ((await answer.json()) as { backfill: { replayId: string; workflowId: string } }).backfill;
  };
  const replayed = async (replayId: string) =>
    Number(
      (
        await db.pool.query<{ n: string }>(
          'SELECT coalesce(sum(events_replayed), 0) AS n FROM replay_partitions WHERE replay_id = $1',
          [replayId],
        )
      ).rows[0]!.n,
    );
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  /** Live state a backfill could touch: every client's progress and every unlock. */
  const liveState = async () =>
    (
      await db.pool.query<{ state: unknown }>(
        `SELECT json_build_object(
           'progress', (SELECT json_agg(json_build_array(client_id, version, progress::text) ORDER BY client_id)
                          FROM client_progress),
           'unlocks', (SELECT json_agg(json_build_array(unlock_id, unlocked_at) ORDER BY unlock_id)
                         FROM achievement_unlocks)) AS state`,
      )
    ).rows[0]!.state;

  it('paused, replays no more; cancelled before its merge, leaves live state as if it never ran', async () => {
    const id = uniqueName('fan-cancel');
    expect((await call('POST', '/v1/admin/rules', fanRule(id))).status).toBe(201);
    // Live first, with nothing to backfill yet: the rule counts from its activation.
    expect((await call('POST', `/v1/admin/rules/${id}/versions/1/activate`, {})).status).toBe(202);
    await eventually(
      () =>
        Promise.resolve(
          processor.rules
            .book()
            .active()
            .rules.some((rule) => rule.id === id),
        ),
      Boolean,
    );
    const before = await liveState();
    const backfill = await activate(id, { backfillFrom: from });
    const handle = temporal.client.workflow.getHandle(backfill.workflowId);
    await eventually(
      () => replayed(backfill.replayId),
      (n) => n > 0,
    );
    await handle.signal(pauseBackfillSignal);
    expect(await handle.query(replayStatusQuery)).toMatchObject({ phase: 'replaying', paused: true });
    // A chunk under way when the pause came finishes; after that, nothing moves.
    await pause(2_500);
    const whilePaused = await replayed(backfill.replayId);
    await pause(2_000);
    expect(await replayed(backfill.replayId)).toBe(whilePaused);

    await handle.signal(cancelReplaySignal, 'wrong from; starting again');
    const status = (await handle.result()) as ReplayStatus;
    expect(status).toMatchObject({ phase: 'cancelled', cancelReason: 'wrong from; starting again' });
    expect(await liveState()).toEqual(before);
    const { rows } = await db.pool.query<{ status: string; kept: string }>(
      `SELECT status, (SELECT count(*) FROM replay_client_state WHERE replay_id = $1) AS kept
         FROM replays WHERE replay_id = $1`,
      [backfill.replayId],
    );
    expect(rows).toEqual([{ status: 'cancelled', kept: '0' }]);
  });

  it('awards by its policy: silently, only each client’s highest level, within a cap on points', async () => {
    const id = uniqueName('fan-policy');
    expect((await call('POST', '/v1/admin/rules', fanRule(id))).status).toBe(201);
    const backfill = await activate(id, {
      backfillFrom: from,
      policy: { notify: false, levels: 'highest', maxPoints: 200 },
    });
    const handle = temporal.client.workflow.getHandle(backfill.workflowId);
    await handle.signal(pauseBackfillSignal);
    await handle.signal(resumeBackfillSignal);
    const status = (await handle.result()) as ReplayStatus;
    expect(status).toMatchObject({ phase: 'done', paused: false });
    const runs = [];
    for await (const run of temporal.client.workflow.list({ query: `WorkflowId = '${backfill.workflowId}'` }))
      runs.push(run.runId);
    expect(runs.length).toBeGreaterThan(1);

    const { rows: found } = await db.pool.query<{
      unlock_id: string;
      client_id: string;
      achievement_id: string;
      points: number;
    }>(
      `SELECT unlock_id, client_id, achievement_id, points FROM achievement_unlocks
        WHERE backfill_replay = $1 ORDER BY unlocked_at, unlock_id`,
      [backfill.replayId],
    );
    expect(found.length).toBe(status.unlocksFound);
    const silvers = new Set(found.filter((u) => u.achievement_id === `${id}-2`).map((u) => u.client_id));
    expect(silvers.size).toBeGreaterThan(0);
    // The test's own reading of the policy: outranked bronzes get nothing; the rest, in order, while they fit.
    let budget = 200;
    const expectedPoints = found.map((u) => {
      if (u.achievement_id === `${id}-1` && silvers.has(u.client_id)) return 0;
      const points = u.achievement_id === `${id}-1` ? 10 : 25;
      if (points > budget) return 0;
      budget -= points;
      return points;
    });
    expect(found.map((u) => u.points)).toEqual(expectedPoints);
    expect(status.pointsGranted).toBe(200 - budget);
    const granted = await eventually(
      () =>
        db.pool.query<{ idempotency_key: string; points: number }>(
          "SELECT idempotency_key, points FROM loyalty_ledger WHERE kind = 'grant' AND idempotency_key = ANY($1)",
          [found.map((u) => `grant:${u.unlock_id}`)],
        ),
      ({ rows }) => rows.length === found.filter((u) => u.points > 0).length,
    );
    expect(granted.rows.reduce((sum, row) => sum + row.points, 0)).toBe(200 - budget);

    // Announced on the unlock topic with the backfill's header; silent: no push.
    const announced = await readTopic(
      kafka,
      engine.outputs.unlocked,
      [{ partition: 0, offset: '0' }],
      (message) => message.headers?.[BACKFILL_HEADER]?.toString() === backfill.replayId,
      (seen) => seen.length >= found.length,
    );
    expect(announced).toHaveLength(found.length);
    // Every record of the backfill is out once the outbox is empty; then the pushes are read to the end.
    await eventually(
      async () => Number((await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM outbox')).rows[0]!.n),
      (left) => left === 0,
    );
    const [end] = await topicEnds(kafka, engine.outputs.notifications);
    const pushes = await readTopic(
      kafka,
      engine.outputs.notifications,
      [{ partition: 0, offset: '0' }],
      () => true,
      (seen) => seen.length >= Number(end!.offset),
    );
    expect(pushes.filter((m) => m.headers?.[BACKFILL_HEADER] !== undefined)).toEqual([]);
  });

  it('refuses a backfill of a version that keeps earlier progress, one already running (not one terminated), and one of a lost history', async () => {
    const id = uniqueName('fan-refusals');
    expect((await call('POST', '/v1/admin/rules', fanRule(id))).status).toBe(201);
    expect((await call('POST', `/v1/admin/rules/${id}/versions/1/activate`, {})).status).toBe(202);
    const pointsOnly = {
      ...fanRule(id),
      levels: fanRule(id).levels.map((l) => ({ ...l, points: 99 })),
    };
    expect((await call('POST', '/v1/admin/rules', pointsOnly)).status).toBe(201);
    const kept = await call('POST', `/v1/admin/rules/${id}/versions/2/activate`, {
      backfillFrom: from,
    });
    expect(kept.status).toBe(400);
    expect(await kept.json()).toMatchObject({ errors: [{ pointer: '/backfillFrom' }] });
    expect(
      (await call('POST', `/v1/admin/rules/${id}/versions/1/activate`, { policy: { notify: false } })).status,
    ).toBe(400);

    const running = await activate(id, { backfillFrom: from });
    const handle = temporal.client.workflow.getHandle(running.workflowId);
    await handle.signal(pauseBackfillSignal);
    const twice = await call('POST', `/v1/admin/rules/${id}/versions/1/activate`, {
      backfillFrom: from,
    });
    expect(twice.status).toBe(409);
    // Terminated in the Temporal UI (not cancelled), it cannot say it ended: the next activation finds out.
    await handle.terminate('an operator stopped it hard');
    const again = await activate(id, { backfillFrom: from });
    const { rows: ended } = await db.pool.query<{ status: string }>(
      'SELECT status FROM replays WHERE replay_id = $1',
      [running.replayId],
    );
    expect(ended).toEqual([{ status: 'failed' }]);
    const next = temporal.client.workflow.getHandle(again.workflowId);
    await next.signal(cancelReplaySignal, 'test over');
    expect(await next.result()).toMatchObject({ phase: 'cancelled' });

    // Input topics whose oldest records were deleted: a backfill from before the oldest one left is refused.
    const hole = await historyWithAHole(kafka);
    const holeApp = replayApi(db.pool, temporal.client, {
      taskQueue: engine.queues.replays,
      topics: hole.topics,
      groupId: engine.groups.processors,
    });
    const lost = await requestsAs(holeApp, { role: 'admin', sub: 'emp-4' })(
      'POST',
      `/v1/admin/rules/${id}/versions/1/activate`,
      { backfillFrom: hole.before },
    );
    expect(lost.status).toBe(400);
    expect(await lost.json()).toMatchObject({ errors: [{ pointer: '/backfillFrom' }] });
  });

  it('stops before merging a version no longer live, leaving live state alone', async () => {
    const id = uniqueName('fan-stopped');
    expect((await call('POST', '/v1/admin/rules', fanRule(id))).status).toBe(201);
    const backfill = await activate(id, { backfillFrom: from });
    const handle = temporal.client.workflow.getHandle(backfill.workflowId);
    await handle.signal(pauseBackfillSignal);
    expect((await call('POST', `/v1/admin/rules/${id}/deactivate`)).status).toBe(202);
    await handle.signal(resumeBackfillSignal);
    const failure = await handle.result().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    // The workflow failed on the merge activity's refusal, which no retry could change.
    const refusal = (failure as WorkflowFailedError).cause?.cause;
    expect(refusal).toBeInstanceOf(ApplicationFailure);
    expect((refusal as ApplicationFailure).message).toMatch(/no longer live \(deactivated\)/);
    const { rows } = await db.pool.query<{ n: string; status: string }>(
      `SELECT (SELECT count(*) FROM achievement_unlocks WHERE backfill_replay = $1) AS n, status
         FROM replays WHERE replay_id = $1`,
      [backfill.replayId],
    );
    expect(rows).toEqual([{ n: '0', status: 'failed' }]);
  });
});
