import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientErasure } from '../api/client-erasure.js';
import { killGroup, startRole, type Child } from '../scripts/children.js';
import { coffeeFanRule } from './support/coffee-fan-rule.js';
import { eventually, processedThrough, produceEvents, startTestProcessor } from './support/engine.js';
import { clientEvent, dailyCoffees } from './support/events.js';
import { replayApi, temporalClient, TEST_RUN } from './support/replays.js';
import { ownEngine, type OwnEngine } from './support/roles.js';
import { migratedSchema, testKafka, uniqueName } from './support/stack.js';
import { requestsAs } from './support/tokens.js';

const coffees = (clientId: string) => dailyCoffees(clientId, 6, 20);

describe('a client erased while a backfill runs (CONTRACT §6, §7)', () => {
  const kafka = testKafka();
  let db: Awaited<ReturnType<typeof migratedSchema>>;
  let engine: OwnEngine;
  let topics: OwnEngine['inputs'];
  let temporal: Awaited<ReturnType<typeof temporalClient>>;
  let processor: Awaited<ReturnType<typeof startTestProcessor>> | undefined;
  let worker: Child;

  beforeAll(async () => {
    db = await migratedSchema();
    // One partition: every client's records, and the merge's wait, are on it.
    engine = await ownEngine(kafka, db.schema, 1);
    topics = engine.inputs;
    temporal = await temporalClient();
    worker = await startRole('worker', engine.env);
  });

  afterAll(async () => {
    killGroup(worker);
    await processor?.stop();
    await temporal?.close();
    await db?.drop();
  });

  it('is not written back by the merge: what the replay read of them before the erasure is gone with it', async () => {
    const [erased, kept] = [uniqueName('c'), uniqueName('c')];
    await produceEvents(kafka, topics, [...coffees(erased), ...coffees(kept)]);
    processor = await startTestProcessor(db.pool, topics, engine.groups.processors, engine.outputs);
    await processedThrough(db.pool, topics.transactions, 12);
    await processor.stop();
    processor = undefined;
    // A client event live processing has not read holds the merge back (it waits for live processing there)
    // once the replay has read and checkpointed both clients' coffees: the erasure comes in between.
    await produceEvents(kafka, topics, [
      clientEvent('contacts.synced', '2026-11-27T08:00:00+02:00', {}, kept),
    ]);

    const app = replayApi(db.pool, temporal.client, {
      taskQueue: engine.queues.replays,
      topics,
      groupId: engine.groups.processors,
      run: TEST_RUN,
    });
    const call = requestsAs(app, { role: 'admin', sub: 'emp-8' });
    const rule = { ...coffeeFanRule, id: uniqueName('coffee-fan') };
    expect((await call('POST', '/v1/admin/rules', rule)).status).toBe(201);
    const activated = await call('POST', `/v1/admin/rules/${rule.id}/versions/1/activate`, {
      backfillFrom: '2026-01-01T00:00:00Z',
    });
    expect(activated.status).toBe(202);
    const { backfill } = (await activated.json()) as { backfill: { replayId: string; workflowId: string } };
    await eventually(
      async () =>
        (
          await db.pool.query<{ status: string; events_replayed: string }>(
            'SELECT status, events_replayed FROM replay_partitions WHERE replay_id = $1',
            [backfill.replayId],
          )
        ).rows[0],
      (row) => row?.status === 'caught-up' && Number(row.events_replayed) === 12,
      60_000,
    );

    await clientErasure(db.pool, temporal.client, engine.topics.erasures).erase(erased, {
      actorId: 'emp-8',
      actorRole: 'admin',
      action: 'client.erase',
      reason: 'DSAR-3',
    });
    processor = await startTestProcessor(db.pool, topics, engine.groups.processors, engine.outputs);
    await temporal.client.workflow.getHandle(backfill.workflowId).result();

    const fans = await db.pool.query<{ client_id: string; achievement_id: string }>(
      'SELECT client_id, achievement_id FROM achievement_unlocks WHERE rule_id = $1 ORDER BY achievement_id',
      [rule.id],
    );
    expect(fans.rows).toEqual([
      { client_id: kept, achievement_id: 'coffee-fan-bronze' },
      { client_id: kept, achievement_id: 'coffee-fan-silver' },
    ]);
    const progress = await db.pool.query('SELECT 1 FROM client_progress WHERE client_id = $1', [erased]);
    expect(progress.rowCount).toBe(0);
  }, 180_000);
});
