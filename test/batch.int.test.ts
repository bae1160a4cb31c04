import { Partitioners, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processBatch, type BatchContext } from '../actors/batch.js';
import { StalePartition } from '../actors/progress-store.js';
import { startDefaultRuleFeed, type RuleFeed } from '../platform/rule-feed.js';
import { ClientActors } from '../actors/client-actors.js';
import { TOPICS } from '../platform/topics.js';
import { fetchedBatch, storedProgressOf, valueOf } from './support/engine.js';
import { catalog, clientEvent, days, KYIV, purchase } from './support/events.js';
import { decide } from '../rules/decide.js';
import { initialProgress } from '../rules/progress.js';
import type { InputEvent } from '../rules/events.js';
import { migratedSchema, testKafka, uniqueName } from './support/stack.js';

describe('processBatch when its commit fails', () => {
  const kafka = testKafka();
  let db: Awaited<ReturnType<typeof migratedSchema>>;
  let producer: Producer;
  let actors: ClientActors;
  let rules: RuleFeed;

  beforeAll(async () => {
    db = await migratedSchema();
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    actors = new ClientActors('Europe/Kyiv', 60_000);
    rules = await startDefaultRuleFeed(db.pool);
  });

  afterAll(async () => {
    actors?.stopAll();
    rules?.stop();
    await producer?.disconnect();
    await db?.drop();
  });

  /** A batch context on the test's schema, reading `topic` as transactions, with positions of its own. */
  const contextFor = (
    instance: ClientActors,
    topic: string,
    groupId = uniqueName('group'),
  ): BatchContext => ({
    db: db.pool,
    groupId,
    rules,
    actors: instance,
    deadLetters: { producer, db: db.pool, topic: TOPICS.deadLetters },
    outputs: TOPICS,
    recordKinds: new Map([[topic, 'transaction']]),
    positions: new Map(),
  });

  it('drops the batch’s actors, so the retried batch counts each event once from the stored progress', async () => {
    const clientId = uniqueName('c');
    const topic = uniqueName('tx');
    const ctx = contextFor(actors, topic);
    const coffees = days('2026-11-01', 3).map((time) => purchase({ clientId, categoryId: 5814, time }));
    const batch = fetchedBatch(
      topic,
      coffees.map((event) => ({
        key: Buffer.from(clientId),
        value: Buffer.from(JSON.stringify(valueOf(event))),
      })),
      Date.parse('2026-11-04T00:00:00Z'),
    );
    // PostgreSQL not taking the commit, as a server restarting does: the failure is not the records'.
    await db.pool.query(`
      CREATE FUNCTION not_now() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'not now' USING ERRCODE = '57P03'; END $$;
      CREATE TRIGGER not_now BEFORE INSERT ON consumer_offsets FOR EACH ROW EXECUTE FUNCTION not_now();`);
    await expect(processBatch(batch, ctx)).rejects.toThrow('not now');
    expect(actors.missing([clientId])).toEqual([clientId]);

    await db.pool.query('DROP TRIGGER not_now ON consumer_offsets');
    expect(await processBatch(batch, ctx)).toMatchObject({ events: 3, deadLetters: 0 });
    expect(await storedProgressOf(db.pool, clientId, 'coffee-lover', '2026-11-04T12:00:00+02:00')).toEqual({
      current: 3,
      target: 10,
    });
  });

  it('refuses to commit over a partition another instance moved on, and applies the batch from where it stands', async () => {
    const clientId = uniqueName('c');
    const topic = uniqueName('tx');
    const coffees = days('2026-11-01', 5).map((time) => purchase({ clientId, categoryId: 5814, time }));
    const records = coffees.map((event) => ({
      key: Buffer.from(clientId),
      value: Buffer.from(JSON.stringify(valueOf(event))),
    }));
    const writtenAt = Date.parse('2026-11-06T00:00:00Z');
    const batchOf = (from: number, to: number) => {
      const batch = fetchedBatch(topic, records.slice(0, to), writtenAt);
      return { ...batch, messages: batch.messages.slice(from) };
    };
    const key = `${topic}:0`;
    const stale = contextFor(new ClientActors('Europe/Kyiv', 60_000), topic, 'fenced');
    const owner = contextFor(new ClientActors('Europe/Kyiv', 60_000), topic, 'fenced');
    // The stale instance read the partition as never started; the owner commits first.
    stale.positions.set(key, { nextOffset: undefined, ruleSeq: 0, epoch: 0 });
    expect(await processBatch(batchOf(0, 2), owner)).toMatchObject({ events: 2 });
    await expect(processBatch(batchOf(0, 3), stale)).rejects.toThrow(StalePartition);
    expect(stale.positions.has(key)).toBe(false);
    // Then it read offset 2, and the owner moved on to 3 before it committed.
    stale.positions.set(key, { nextOffset: '2', ruleSeq: (await rules.refresh()).latestSeq, epoch: 0 });
    expect(await processBatch(batchOf(2, 3), owner)).toMatchObject({ events: 1 });
    await expect(processBatch(batchOf(2, 4), stale)).rejects.toThrow(StalePartition);
    // Retried, it reads where the partition stands and applies only the fourth record.
    expect(await processBatch(batchOf(2, 4), stale)).toMatchObject({ events: 1 });
    expect(await storedProgressOf(db.pool, clientId, 'coffee-lover', '2026-11-06T12:00:00+02:00')).toEqual({
      current: 4,
      target: 10,
    });
    stale.actors.stopAll();
    owner.actors.stopAll();
  });

  it('lets go of both input topics’ actors of a partition a backfill merged into, and applies later batches on the merge', async () => {
    const [tx, events] = [uniqueName('tx'), uniqueName('events')];
    const ctx = {
      ...contextFor(actors, tx),
      recordKinds: new Map([
        [tx, 'transaction'],
        [events, 'client-event'],
      ] as const),
    };
    const clients = [uniqueName('c'), uniqueName('c')];
    const coffeesOf = (clientId: string) =>
      days('2026-11-01', 8).map((time) => purchase({ clientId, categoryId: 5814, time }));
    const [first, second] = clients.map(coffeesOf) as [InputEvent[], InputEvent[]];
    const writtenAt = Date.parse('2026-11-09T00:00:00Z');
    // Records at offsets from 0; a batch is the records from `from` on.
    const batchOf = (topic: string, list: InputEvent[], from = 0) => {
      const batch = fetchedBatch(
        topic,
        list.map((event) => ({
          key: Buffer.from(event.clientId),
          value: Buffer.from(JSON.stringify(valueOf(event))),
        })),
        writtenAt,
      );
      return { ...batch, messages: batch.messages.slice(from) };
    };
    // Both clients' actors come to life on the client-events topic; then each counts two coffees.
    const synced = clients.map((clientId) =>
      clientEvent('contacts.synced', '2026-11-01T09:00:00Z', {}, clientId),
    );
    await processBatch(batchOf(events, synced), ctx);
    const txLog = [...first.slice(0, 2), ...second.slice(0, 2)];
    await processBatch(batchOf(tx, txLog), ctx);
    // A backfill merges seven coffees into each client, moving the partition's epoch on both topics.
    for (const coffees of [first, second]) {
      let merged = initialProgress();
      for (const coffee of coffees.slice(0, 7)) merged = decide(merged, coffee, catalog, KYIV).progress;
      await db.pool.query(
        `UPDATE client_progress SET progress = $2, version = version + 1 WHERE client_id = $1`,
        [coffees[0]!.clientId, JSON.stringify(merged)],
      );
    }
    await db.pool.query('UPDATE consumer_offsets SET epoch = epoch + 1 WHERE group_id = $1', [ctx.groupId]);

    // The first client's eighth coffee meets the fence, then is applied on what the merge stored.
    txLog.push(first[7]!);
    await expect(processBatch(batchOf(tx, txLog, 4), ctx)).rejects.toThrow(StalePartition);
    expect(await processBatch(batchOf(tx, txLog, 4), ctx)).toMatchObject({ events: 1 });
    // The second client sat cached, untouched by that batch: its stale actor was let go all the same.
    txLog.push(second[7]!);
    expect(await processBatch(batchOf(tx, txLog, 5), ctx)).toMatchObject({ events: 1 });
    for (const clientId of clients)
      expect(await storedProgressOf(db.pool, clientId, 'coffee-lover', '2026-11-09T12:00:00+02:00')).toEqual({
        current: 8,
        target: 10,
      });
  });
});
