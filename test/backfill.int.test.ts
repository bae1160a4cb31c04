import proto from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { createApp } from '../api/app.js';
import { buildCatalog } from '../rules/catalog.js';
import type { InputEvent } from '../rules/events.js';
import { replayStatusQuery, type ReplayStatus } from '../workflows/replay-contract.js';
import { bankHistory, countsOf, expectedUnlocks } from './support/bank-history.js';
import { killGroup, startRole, type Child, type EngineRole } from '../scripts/children.js';
import { coffeeFanRule } from './support/coffee-fan-rule.js';
import { eventually, nextWrittenAt, processedThrough, produceEvents, readTopic } from './support/engine.js';
import { replayApi, temporalClient, TEST_RUN } from './support/replays.js';
import { ownEngine, type OwnEngine } from './support/roles.js';
import { migratedSchema, testKafka, uniqueName } from './support/stack.js';
import { differences } from './support/exact-outcome.js';
import { requestsAs } from './support/tokens.js';

/** The coffee-fan rule under an id of this run's, so its backfill's workflow id is this run's too. */
const rule = { ...coffeeFanRule, id: uniqueName('coffee-fan') };
const fan = buildCatalog([{ source: rule.id, document: { version: 1, ...rule } }]);
const CLIENTS = 300;
const STARTED = proto.temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED;

/** Unlocks as sorted lines, client achievement time: a difference reads as the lines that differ. */
const listed = (unlocks: Map<string, Map<string, string>>) =>
  [...unlocks].flatMap(([clientId, mine]) => [...mine].map(([id, at]) => `${clientId} ${id} ${at}`)).sort();

const transactionsOf = (events: InputEvent[]) =>
  events.filter((e) => e.type === 'TransactionReceived').length;

describe('a backfill of a new rule over history, while live traffic goes on (CONTRACT §6)', () => {
  const kafka = testKafka();
  const children: Child[] = [];
  let db: Awaited<ReturnType<typeof migratedSchema>>;
  let engine: OwnEngine;
  let topics: OwnEngine['inputs'];
  let temporal: Awaited<ReturnType<typeof temporalClient>>;
  let app: ReturnType<typeof createApp>;

  beforeAll(async () => {
    db = await migratedSchema();
    engine = await ownEngine(kafka, db.schema, 6);
    topics = engine.inputs;
    temporal = await temporalClient();
    const run = { ...TEST_RUN, chunkRecords: 150, heartbeatTimeoutMs: 4_000 };
    app = replayApi(db.pool, temporal.client, {
      taskQueue: engine.queues.replays,
      topics,
      groupId: engine.groups.processors,
      run,
    });
  });

  afterAll(async () => {
    for (const child of children) killGroup(child);
    await temporal?.close();
    await db?.drop();
  });

  const call = (method: string, path: string, body?: unknown) =>
    requestsAs(app, { role: 'admin', sub: 'emp-9' })(method, path, body);

  // One partition replayed at a time: a chunk is running most of the replay's time.
  const started = async (role: EngineRole) => {
    const child = await startRole(role, { ...engine.env, REPLAY_CONCURRENCY: '1' });
    children.push(child);
    return child;
  };

  /** Every unlock of the rule, by client and achievement, with its time. */
  async function unlocksOfRule() {
    const { rows } = await db.pool.query<{ client_id: string; achievement_id: string; unlocked_at: Date }>(
      'SELECT client_id, achievement_id, unlocked_at FROM achievement_unlocks WHERE rule_id = $1',
      [rule.id],
    );
    const unlocks = new Map<string, Map<string, string>>();
    for (const row of rows) {
      const mine = unlocks.get(row.client_id) ?? new Map<string, string>();
      mine.set(row.achievement_id, row.unlocked_at.toISOString());
      unlocks.set(row.client_id, mine);
    }
    return unlocks;
  }

  /**
   * What a second backfill must leave as it was: progress, unlocks, the ledger, and the rule's rewards (others,
   * of partners no test server answers, move on by themselves).
   */
  const snapshot = async () =>
    (
      await db.pool.query<{ state: unknown }>(
        `SELECT json_build_object(
           'progress', (SELECT json_agg(json_build_array(client_id, version, progress::text) ORDER BY client_id)
                          FROM client_progress),
           'unlocks', (SELECT json_agg(json_build_array(unlock_id, unlocked_at, points, source_event_id)
                                       ORDER BY unlock_id) FROM achievement_unlocks),
           'ledger', (SELECT json_agg(json_build_array(idempotency_key, points) ORDER BY idempotency_key)
                        FROM loyalty_ledger),
           'rewards', (SELECT json_agg(json_build_array(reward_id, status, points) ORDER BY reward_id) FROM rewards
                        WHERE achievement_id LIKE 'coffee-fan-%')
         ) AS state`,
      )
    ).rows[0]!.state;

  it('unlocks exactly whom history and live traffic say, when they say, through a worker crash and a processor crash', async () => {
    const clients = Array.from({ length: CLIENTS }, () => uniqueName('c'));
    const ancient = bankHistory(clients, 11, { from: 1, to: 10 });
    await produceEvents(kafka, topics, ancient);
    const from = (await nextWrittenAt()).toISOString();
    const history = bankHistory(clients, 12, { from: 5, to: 20 });
    await produceEvents(kafka, topics, history);
    let processor = await started('processor');
    const live = [
      ...bankHistory(clients, 13, { from: 15, to: 28 }),
      ...bankHistory(clients, 14, { from: 22, to: 30 }),
    ];
    const all = [...ancient, ...history, ...live];
    const processedAll = () =>
      Promise.all([
        processedThrough(db.pool, topics.transactions, transactionsOf(all), 120_000),
        processedThrough(db.pool, topics.clientEvents, all.length - transactionsOf(all), 120_000),
      ]);
    await processedThrough(db.pool, topics.transactions, transactionsOf([...ancient, ...history]), 60_000);
    expect((await call('POST', '/v1/admin/rules', rule)).status).toBe(201);
    let worker = await started('worker');

    // Live traffic goes on, for the same clients, all through the replay and the merge.
    const phase = async () =>
      (
        await db.pool.query<{ phase: string }>(
          'SELECT phase FROM replays WHERE workflow_id = $1 ORDER BY requested_at DESC LIMIT 1',
          [`backfill-${rule.id}-v1`],
        )
      ).rows[0]?.phase ?? 'planning';
    const traffic = (async () => {
      let sent = 0;
      while (sent < live.length) {
        const now = await phase();
        const slice = now === 'awarding' || now === 'done' ? live.length : 20;
        await produceEvents(kafka, topics, live.slice(sent, sent + slice));
        sent += slice;
        await new Promise((resolve) => setTimeout(resolve, now === 'merging' ? 30 : 300));
      }
    })();
    const activated = await call('POST', `/v1/admin/rules/${rule.id}/versions/1/activate`, {
      backfillFrom: from,
    });
    expect(activated.status).toBe(202);
    const { backfill } = (await activated.json()) as { backfill: { replayId: string; workflowId: string } };
    expect(backfill.workflowId).toBe(`backfill-${rule.id}-v1`);

    // The worker dies mid-replay, in the middle of a chunk (some partitions checkpointed, none merged), and so
    // does a processor. The worker is frozen (SIGSTOP) while the test looks and runs only a moment between two
    // looks, so the replay cannot slip past the test however fast the machine: it is killed at the first look
    // that finds a chunk started on it (pending until its heartbeat times out).
    const handle = temporal.client.workflow.getHandle(backfill.workflowId);
    const frozenMidChunk = async () => {
      killGroup(worker, 'SIGCONT');
      await new Promise((resolve) => setTimeout(resolve, 50));
      killGroup(worker, 'SIGSTOP');
      const { rows } = await db.pool.query<{ replayed: string; replaying: string }>(
        `SELECT coalesce(sum(events_replayed), 0) AS replayed,
                count(*) FILTER (WHERE status = 'replaying') AS replaying
           FROM replay_partitions WHERE replay_id = $1`,
        [backfill.replayId],
      );
      return {
        replayed: Number(rows[0]!.replayed),
        replaying: Number(rows[0]!.replaying),
        chunkRunning: ((await handle.describe()).raw.pendingActivities ?? []).some(
          (activity) => activity.activityType?.name === 'replayChunk' && activity.state === STARTED,
        ),
      };
    };
    await eventually(
      frozenMidChunk,
      ({ replayed, replaying, chunkRunning }) => replayed > 0 && replaying > 0 && chunkRunning,
      120_000,
      0,
    );
    killGroup(worker);
    worker = await started('worker');
    killGroup(processor);
    processor = await started('processor');
    const status = (await handle.result()) as ReplayStatus;
    await traffic;
    await processedAll();

    // Exactly the clients, levels and times of the rule live on every record written since `from`.
    const expected = expectedUnlocks([...history, ...live], fan);
    const unlocks = listed(await unlocksOfRule());
    const wanted = listed(expected);
    expect(differences(unlocks, wanted)).toEqual({ unexpected: [], missing: [] });
    expect(status).toMatchObject({ phase: 'done', cancelReason: null });
    expect(status.unlocksFound).toBeGreaterThan(0);
    expect(status.partitions.every((p) => p.status === 'merged')).toBe(true);
    // The restarted worker counts the records its replay threads went on with, besides the unlocks it awarded.
    const workerMetrics = await (await fetch(`${worker.metricsUrl}/metrics`)).text();
    const progressed = /^achievements_backfill_progress_total (\d+)/m.exec(workerMetrics)?.[1];
    expect(Number(progressed)).toBeGreaterThan(status.unlocksFound);
    // The replay went on from its checkpoints after the kill: some activity ran again.
    const { events } = await handle.fetchHistory();
    expect(events!.some((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1)).toBe(true);

    // Every unlock, found by the backfill or live, has its reward exactly once and is announced.
    const { rows: unlockIds } = await db.pool.query<{ unlock_id: string }>(
      'SELECT unlock_id FROM achievement_unlocks WHERE rule_id = $1',
      [rule.id],
    );
    const expectedPoints = countsOf(expected, fan).points;
    await eventually(
      () =>
        db.pool.query<{ grants: string; points: string }>(
          `SELECT count(*) AS grants, coalesce(sum(points), 0) AS points FROM loyalty_ledger
            WHERE kind = 'grant' AND idempotency_key = ANY($1)`,
          [unlockIds.map((u) => `grant:${u.unlock_id}`)],
        ),
      ({ rows: [row] }) => Number(row!.grants) === unlockIds.length && Number(row!.points) === expectedPoints,
      // Hundreds of reward workflows on the shared 2-core machine while the other suites run: minutes, at worst.
      180_000,
    );
    const announced = await readTopic(
      kafka,
      engine.outputs.unlocked,
      [{ partition: 0, offset: '0' }],
      (message) => message.value!.toString().includes(`"ruleId":"${rule.id}"`),
      (seen) =>
        new Set(seen.map((m) => (JSON.parse(m.value!.toString()) as { unlockId: string }).unlockId)).size >=
        unlockIds.length,
    );
    expect(
      new Set(announced.map((m) => (JSON.parse(m.value!.toString()) as { unlockId: string }).unlockId)),
    ).toEqual(new Set(unlockIds.map((u) => u.unlock_id)));

    // The Temporal UI shows how far it got: search attributes and the workflow's current details.
    const described = await handle.describe();
    expect(described.searchAttributes).toMatchObject({ replayPhase: ['done'], replayShareDone: [1] });
    const metadata = await handle.query<{ currentDetails: string }>('__temporal_workflow_metadata');
    expect(metadata.currentDetails).toMatch(/events replayed: [\d,]+ of [\d,]+ \(100 %\)/);
    expect(await handle.query(replayStatusQuery)).toMatchObject({ phase: 'done' });

    // A dry run of the same rule from the same time agrees with what the backfill left.
    const dryRun = (await (await call('POST', '/v1/admin/dry-runs', { rule, from })).json()) as {
      dryRunId: string;
    };
    const view = await eventually(
      async () =>
        (await (await call('GET', `/v1/admin/dry-runs/${dryRun.dryRunId}`)).json()) as {
          status: string;
          clients: Record<string, number>;
          points: number;
        },
      (result) => result.status !== 'running',
      60_000,
      // Within the API's 60 operations a minute per caller, whatever else the test asked before.
      2_000,
    );
    expect(view).toMatchObject({ status: 'done', ...countsOf(expected, fan) });

    // The same backfill run again changes nothing; first, live unlocks' rewards still granting must finish.
    await eventually(
      async () =>
        (
          await db.pool.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM achievement_unlocks u WHERE u.points > 0
               AND NOT EXISTS (SELECT 1 FROM loyalty_ledger l WHERE l.idempotency_key = 'grant:' || u.unlock_id)`,
          )
        ).rows[0]!.n,
      (ungranted) => ungranted === 0,
      60_000,
    );
    const before = await snapshot();
    const again = await call('POST', `/v1/admin/rules/${rule.id}/versions/1/activate`, {
      backfillFrom: from,
    });
    expect(again.status).toBe(202);
    const second = (await again.json()) as { outcome: string; backfill: { replayId: string } };
    expect(second).toMatchObject({ outcome: 'already-active' });
    const rerun = (await temporal.client.workflow.getHandle(backfill.workflowId).result()) as ReplayStatus;
    expect(rerun).toMatchObject({ phase: 'done', unlocksFound: 0, unlocksCorrected: 0, pointsGranted: 0 });
    expect(await snapshot()).toEqual(before);
    killGroup(worker);
    killGroup(processor);
  }, 300_000);
});
