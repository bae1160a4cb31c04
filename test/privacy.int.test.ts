import { WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAdminReads } from '../api/admin-reads.js';
import { createApp } from '../api/app.js';
import { kafkaHistory } from '../api/client-history.js';
import { clientErasure } from '../api/client-erasure.js';
import { postgresReads } from '../api/client-reads.js';
import { postgresRuleAdmin } from '../api/rule-admin-store.js';
import { loadContext } from '../platform/engine-state.js';
import { resetForRebuild } from '../platform/rebuild.js';
import { startRuleFeed, type RuleFeed } from '../platform/rule-feed.js';
import { rewardWorkflowId } from '../workflows/reward-contract.js';
import { killGroup, startRole, type Child } from '../scripts/children.js';
import { apiDependencies } from './support/api.js';
import { coffeeFanRule } from './support/coffee-fan-rule.js';
import { eventually, produceEvents, startTestProcessor, processedToEnds } from './support/engine.js';
import { dailyCoffees, purchase } from './support/events.js';
import { replayDependencies, temporalClient, TEST_RUN } from './support/replays.js';
import { ownEngine, type OwnEngine } from './support/roles.js';
import { migratedSchema, testKafka, uniqueName } from './support/stack.js';
import { requestsAs } from './support/tokens.js';

/** Ten coffees on ten days of late November, the first one also the client's first purchase. */
const coffees = (clientId: string) => dailyCoffees(clientId, 10, 19);

describe('a client’s data exported and erased (CONTRACT §7)', () => {
  const kafka = testKafka();
  const children: Child[] = [];
  let db: Awaited<ReturnType<typeof migratedSchema>>;
  let engine: OwnEngine;
  let topics: OwnEngine['inputs'];
  let groupId: string;
  let temporal: Awaited<ReturnType<typeof temporalClient>>;
  let rules: RuleFeed;
  let processor: Awaited<ReturnType<typeof startTestProcessor>>;
  let app: ReturnType<typeof createApp>;

  beforeAll(async () => {
    db = await migratedSchema();
    engine = await ownEngine(kafka, db.schema, 3);
    topics = engine.inputs;
    groupId = engine.groups.processors;
    temporal = await temporalClient();
    processor = await startTestProcessor(db.pool, topics, groupId, engine.outputs);
    rules = await startRuleFeed(db.pool);
    children.push(await startRole('worker', engine.env));
    const everLive = () => rules.book().everLive();
    const admin = postgresAdminReads(db.pool, everLive, 'Europe/Kyiv');
    app = createApp(
      apiDependencies({
        admin,
        rules: postgresRuleAdmin(db.pool, { zone: 'Europe/Kyiv', configuredPartners: () => [] }),
        replays: replayDependencies(db.pool, temporal.client, {
          taskQueue: engine.queues.replays,
          topics,
          groupId,
          run: TEST_RUN,
        }),
        explain: {
          ...postgresReads(db.pool, everLive),
          contextOf: (clientId) => loadContext(db.pool, clientId),
          historyOf: kafkaHistory(kafka, {
            transaction: topics.transactions,
            'client-event': topics.clientEvents,
          }),
          zone: 'Europe/Kyiv',
        },
        privacy: {
          db: db.pool,
          erasure: clientErasure(db.pool, temporal.client, engine.topics.erasures),
          audit: admin.audit,
          catalog: everLive,
          zone: 'Europe/Kyiv',
        },
      }),
    );
  });

  afterAll(async () => {
    for (const child of children) killGroup(child);
    await processor?.stop();
    rules?.stop();
    await temporal?.close();
    await db?.drop();
  });

  const call = (method: string, path: string, body?: unknown, role = 'admin') =>
    requestsAs(app, { role, sub: 'emp-7' })(method, path, body);
  const count = async (sql: string, params: unknown[]) =>
    Number((await db.pool.query<{ n: string }>(sql, params)).rows[0]!.n);

  /**
   * Produces the clients' coffees (coffee-lover, first-purchase and week-streak unlock) and waits for every
   * unlock's reward: points granted, status stored. Answers the records and each client's unlocks.
   */
  async function rewarded(clients: string[]) {
    const events = clients.flatMap(coffees);
    await produceEvents(kafka, topics, events);
    const { rows } = await eventually(
      () =>
        db.pool.query<{
          client_id: string;
          achievements: string[];
          points: number;
          grants: string;
          rewards: string;
        }>(
          `SELECT client_id, array_agg(achievement_id ORDER BY achievement_id) AS achievements, sum(points)::int AS points,
                  (SELECT count(*) FROM loyalty_ledger l WHERE l.client_id = u.client_id AND kind = 'grant') AS grants,
                  (SELECT count(*) FROM rewards r WHERE r.client_id = u.client_id) AS rewards
             FROM achievement_unlocks u WHERE client_id = ANY($1) GROUP BY client_id`,
          [clients],
        ),
      ({ rows }) =>
        rows.length === clients.length &&
        rows.every(
          (row) =>
            row.achievements.includes('coffee-lover') &&
            Number(row.grants) === row.achievements.length &&
            Number(row.rewards) === row.achievements.length,
        ),
      60_000,
    );
    return { events, unlocks: new Map(rows.map((row) => [row.client_id, row])) };
  }

  /** A record of the client's the engine set aside: indexed, and (when `kept`) its original kept whole too. */
  async function deadLetterOf(clientId: string, offset: number, kept: boolean) {
    await db.pool.query(
      `INSERT INTO dead_letters (topic, partition, "offset", key, reason, error, record)
       VALUES ('bank.transactions.v1', 0, $2, convert_to($1, 'UTF8'), 'json', 'not valid JSON', '{}')`,
      [clientId, offset],
    );
    if (kept)
      await db.pool.query(
        `INSERT INTO dead_letter_records (topic, partition, "offset", key, value, headers, value_sha256, error)
         VALUES ('bank.transactions.v1', 0, $2, convert_to($1, 'UTF8'), '\\x7b', '{}', 'sha', 'not valid JSON')`,
        [clientId, offset],
      );
  }

  it('exports what the engine holds about a client, for admins giving a reason, and audits it', async () => {
    const clientId = uniqueName('c');
    const unlocks = (await rewarded([clientId])).unlocks.get(clientId)!;
    await deadLetterOf(clientId, 1, true);
    expect((await call('PUT', '/v1/admin/segments/vip/members', { clientIds: [clientId] })).status).toBe(202);

    const refused = await call(
      'GET',
      `/v1/admin/clients/${clientId}/export?reason=DSAR-1`,
      undefined,
      'support',
    );
    expect(refused.status).toBe(403);
    const unexplained = await call('GET', `/v1/admin/clients/${clientId}/export`);
    expect(unexplained.status).toBe(400);
    expect(((await unexplained.json()) as { detail: string }).detail).toContain('reason');

    const response = await call('GET', `/v1/admin/clients/${clientId}/export?reason=DSAR-1`);
    expect(response.status).toBe(200);
    const exported = (await response.json()) as Record<string, unknown> & {
      achievements: { achievementId: string; unlocked: boolean }[];
      unlocks: { achievementId: string }[];
      ledger: { kind: string; points: number }[];
      rewards: { achievementId: string; status: string }[];
      segments: { segmentId: string }[];
      deadLetters: { offset: string; error: string }[];
      audit: { action: string; actorId: string; reason: string }[];
      progress: { version: number } | null;
    };
    expect(exported).toMatchObject({ clientId, erasedAt: null, balance: unlocks.points });
    expect(
      exported.achievements
        .filter((a) => a.unlocked)
        .map((a) => a.achievementId)
        .sort(),
    ).toEqual(unlocks.achievements);
    expect(exported.unlocks.map((u) => u.achievementId).sort()).toEqual(unlocks.achievements);
    expect(exported.ledger.map((e) => e.kind)).toEqual(unlocks.achievements.map(() => 'grant'));
    expect(exported.rewards.map((r) => r.achievementId).sort()).toEqual(unlocks.achievements);
    expect(exported.segments.map((s) => s.segmentId)).toEqual(['vip']);
    expect(exported.deadLetters.map((letter) => [letter.offset, letter.error])).toEqual([
      ['1', 'not valid JSON'],
    ]);
    expect(exported.progress?.version).toBeGreaterThan(0);
    expect(exported.audit).toEqual([
      expect.objectContaining({ action: 'client.export', actorId: 'emp-7', reason: 'DSAR-1' }),
    ]);
  }, 120_000);

  it('erases a client; nothing dated before the erasure brings them back: redelivery, a replay of the log, explain, a dry run, a backfill', async () => {
    const [erased, kept] = [uniqueName('c'), uniqueName('c')];
    const { events: history, unlocks } = await rewarded([erased, kept]);
    const earned = unlocks.get(erased)!;
    const points = await count(
      `SELECT coalesce(sum(points), 0) AS n FROM loyalty_ledger WHERE client_id = $1`,
      [erased],
    );
    const progressOf = async (clientId: string) =>
      (
        await db.pool.query<{ progress: unknown }>(
          'SELECT progress FROM client_progress WHERE client_id = $1',
          [clientId],
        )
      ).rows;
    const keptBefore = await progressOf(kept);
    const liability = await count('SELECT coalesce(sum(points), 0) AS n FROM loyalty_ledger', []);

    // One dead letter whose large original is kept whole, and one indexed only: two of the client's.
    await deadLetterOf(erased, 2, true);
    await deadLetterOf(erased, 3, false);
    expect(
      (await call('DELETE', `/v1/admin/clients/${erased}?reason=DSAR-2`, undefined, 'support')).status,
    ).toBe(403);
    const response = await call('DELETE', `/v1/admin/clients/${erased}?reason=DSAR-2`);
    expect(response.status).toBe(202);
    const erasure = (await response.json()) as { erasedAt: string; workflowsDeleted: number };
    expect(erasure).toMatchObject({
      clientId: erased,
      removed: {
        progress: 1,
        unlocks: earned.achievements.length,
        rewards: earned.achievements.length,
        deadLetters: 2,
      },
      ledgerEntriesPseudonymized: earned.achievements.length,
      workflowsDeleted: earned.achievements.length,
    });

    // Nothing names the client any more, but the audit log saying who erased them and why.
    for (const table of [
      'client_progress',
      'achievement_unlocks',
      'rewards',
      'loyalty_ledger',
      'loyalty_tiers',
    ])
      expect(await count(`SELECT count(*) AS n FROM ${table} WHERE client_id = $1`, [erased]), table).toBe(0);
    for (const table of ['dead_letters', 'dead_letter_records'])
      expect(
        await count(`SELECT count(*) AS n FROM ${table} WHERE key = convert_to($1, 'UTF8')`, [erased]),
      ).toBe(0);
    expect(await count('SELECT coalesce(sum(points), 0) AS n FROM loyalty_ledger', [])).toBe(liability);
    expect(
      await count(
        `SELECT count(*) AS n FROM loyalty_ledger WHERE client_id LIKE 'erased-%' AND points > 0`,
        [],
      ),
    ).toBe(earned.achievements.length);
    expect(points).toBe(earned.points);
    const audit = await db.pool.query<{ actor_id: string; reason: string }>(
      "SELECT actor_id, reason FROM audit_log WHERE action = 'client.erase' AND target = $1",
      [erased],
    );
    expect(audit.rows).toEqual([{ actor_id: 'emp-7', reason: 'DSAR-2' }]);
    // Temporal deletes a workflow's history in the background: a workflow closed just before, within a minute.
    const found = (achievementId: string) =>
      temporal.client.workflow
        .getHandle(rewardWorkflowId(erased, achievementId))
        .describe()
        .then(
          () => true,
          (error: unknown) => !(error instanceof WorkflowNotFoundError),
        );
    await eventually(
      async () => (await Promise.all(earned.achievements.map(found))).filter(Boolean).length,
      (left) => left === 0,
      120_000,
    );

    const unlocksOfErased = async () =>
      (
        await db.pool.query<{ achievement_id: string; unlocked_at: Date }>(
          'SELECT achievement_id, unlocked_at FROM achievement_unlocks WHERE client_id = $1',
          [erased],
        )
      ).rows;
    // A purchase dated after the erasure counts, for a client starting afresh (though the processor had them
    // in memory): its first purchase again, and nothing from before.
    await produceEvents(kafka, topics, [
      purchase({
        id: `${erased}-later`,
        clientId: erased,
        categoryId: 5411,
        amount: 30_000,
        time: new Date().toISOString(),
      }),
    ]);
    await eventually(
      () => count(`SELECT coalesce(sum(points), 0) AS n FROM loyalty_ledger WHERE client_id = $1`, [erased]),
      (n) => n === 50,
      60_000,
    );
    const afresh = await unlocksOfErased();
    expect(afresh.map((unlock) => unlock.achievement_id)).toEqual(['first-purchase']);
    expect(afresh[0]!.unlocked_at.getTime()).toBeGreaterThan(Date.parse(erasure.erasedAt));

    // Redelivered: it changes nothing of anyone but the ids the engine remembers (the copies are late, and a
    // late record's id is remembered too, so that a copy dated anew counts for nothing).
    await produceEvents(kafka, topics, history);
    await processedToEnds(db.pool, kafka, topics);
    const keptLive = await progressOf(kept);
    const withoutIds = (rows: { progress: unknown }[]) =>
      rows.map(({ progress }) => ({ ...(progress as object), seenTransactions: [], seenEvents: [] }));
    expect(withoutIds(keptLive)).toEqual(withoutIds(keptBefore));
    // Read again from the start of the log by a rebuild of the engine's progress.
    await processor.stop();
    await resetForRebuild({ db: db.pool, kafka, groupId, topics });
    processor = await startTestProcessor(db.pool, topics, groupId, engine.outputs);
    await processedToEnds(db.pool, kafka, topics);
    expect(await unlocksOfErased()).toEqual(afresh);
    // Everyone else's progress is rebuilt as live processing left it.
    expect(await progressOf(kept)).toEqual(keptLive);

    // Explain finds the client's records in Kafka (each twice, redelivered), and of those from before the
    // erasure shows no id, time or amount: it only says how many it left out.
    const explained = await call(
      'GET',
      `/v1/admin/clients/${erased}/achievements/coffee-lover/explain?reason=dispute%20after%20erasure`,
    );
    const explanation = (await explained.json()) as { events: { id: string }[]; eventsBeforeErasure: number };
    expect(explanation.events.map((e) => e.id)).toEqual([`${erased}-later`]);
    expect(explanation.eventsBeforeErasure).toBe(2 * 10);
    const shown = JSON.stringify(explanation);
    for (const event of history.filter((e) => e.type === 'TransactionReceived')) {
      expect(shown).not.toContain(event.transaction.id);
      expect(shown).not.toContain(event.transaction.time);
    }

    // A dry run and a backfill of a new rule over the whole history count the client for nothing.
    const rule = { ...coffeeFanRule, id: uniqueName('coffee-fan') };
    const dry = await call('POST', '/v1/admin/dry-runs', { rule, from: '2026-01-01T00:00:00Z' });
    const { dryRunId } = (await dry.json()) as { dryRunId: string };
    const result = await eventually(
      async () =>
        (await (await call('GET', `/v1/admin/dry-runs/${dryRunId}`)).json()) as {
          status: string;
          clients: Record<string, number>;
        },
      (view) => view.status !== 'running',
      60_000,
      // Within the API's 60 operations a minute per caller, whatever else the test asked before.
      2_000,
    );
    // Every other client of this schema (the export test's, and `kept`) holds both levels; `erased` none.
    const others = await count(
      'SELECT count(DISTINCT client_id) AS n FROM client_progress WHERE client_id <> $1',
      [erased],
    );
    expect(result).toMatchObject({
      status: 'done',
      clients: { 'coffee-fan-bronze': others, 'coffee-fan-silver': others },
    });
    expect((await call('POST', '/v1/admin/rules', rule)).status).toBe(201);
    const activated = await call('POST', `/v1/admin/rules/${rule.id}/versions/1/activate`, {
      backfillFrom: '2026-01-01T00:00:00Z',
    });
    expect(activated.status).toBe(202);
    const { backfill } = (await activated.json()) as { backfill: { workflowId: string } };
    await temporal.client.workflow.getHandle(backfill.workflowId).result();
    const fans = await db.pool.query<{ client_id: string }>(
      'SELECT DISTINCT client_id FROM achievement_unlocks WHERE rule_id = $1',
      [rule.id],
    );
    expect(fans.rows.map((row) => row.client_id)).toContain(kept);
    expect(fans.rows.map((row) => row.client_id)).not.toContain(erased);

    expect(await unlocksOfErased()).toEqual(afresh);
  }, 300_000);
});
