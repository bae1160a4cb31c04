import { describe, expect, it } from 'vitest';
import type { CheckpointPolicy } from '../actors/partition-ledger.js';
import {
  batchContext,
  batchesOf,
  batchTestStack,
  processed,
  storedProgressOf,
  unlocksOf,
} from './support/engine.js';
import { catalog, clientEvent, days, KYIV, purchase } from './support/events.js';
import { decide } from '../rules/decide.js';
import { initialProgress } from '../rules/progress.js';
import type { InputEvent } from '../rules/events.js';
import { uniqueName } from './support/stack.js';
import { mayCompressWal } from '../platform/wal-compression.js';
import { checkpointPartition, processBatch, takeAssigned, type BatchContext } from '../actors/batch.js';

describe('processBatch, its unlocks stored at once and its progress at checkpoints', () => {
  const stack = batchTestStack();

  const storedOffset = async (groupId: string, topic: string) =>
    (
      await stack.db.pool.query<{ next_offset: string; decided_offset: string | null }>(
        'SELECT next_offset, decided_offset FROM consumer_offsets WHERE group_id = $1 AND topic = $2',
        [groupId, topic],
      )
    ).rows[0];

  /** Checkpoints partition 0 now, whatever it holds. */
  const checkpointNow = (ctx: BatchContext) =>
    ctx.turns.run(0, () => checkpointPartition(ctx, 0, (ledger) => ledger.pending));

  /** A context reading `topic` as transactions, checkpointing after every batch unless told otherwise. */
  const transactionsContext = (topic: string, checkpoints?: CheckpointPolicy) =>
    batchContext({
      db: stack.db.pool,
      producer: stack.producer,
      rules: stack.rules,
      recordKinds: new Map([[topic, 'transaction']]),
      ...(checkpoints ? { checkpoints } : {}),
    });

  it('stores unlocks at once and progress with the offsets only at the checkpoint, then tells Kafka', async () => {
    const { db } = stack;
    const clientId = uniqueName('c');
    const topic = uniqueName('tx');
    const ctx = transactionsContext(topic, { intervalMs: 60_000, events: 5 });
    const coffees = days('2026-11-01', 5).map((time) => purchase({ clientId, categoryId: 5814, time }));
    const batchOf = batchesOf(topic, coffees, Date.parse('2026-11-06T00:00:00Z'));
    expect(await processed(batchOf(0, 3), ctx)).toMatchObject({ events: 3 });
    expect(await unlocksOf(db.pool, clientId)).toEqual(['first-purchase']);
    // The run opened the partition at 0, and marked its unlock decided through its last record.
    expect(await storedOffset(ctx.groupId, topic)).toEqual({ next_offset: '0', decided_offset: '3' });
    const now = '2026-11-06T12:00:00+02:00';
    expect(await storedProgressOf(db.pool, clientId, 'coffee-lover', now)).toEqual({
      current: 0,
      target: 10,
    });
    expect(ctx.committed.at(-1)).toEqual({ topic, partition: 0, offset: '0' });

    expect(await processed(batchOf(3), ctx)).toMatchObject({ events: 2 });
    expect(await storedOffset(ctx.groupId, topic)).toMatchObject({ next_offset: '5' });
    expect(await storedProgressOf(db.pool, clientId, 'coffee-lover', now)).toEqual({
      current: 5,
      target: 10,
    });
    expect(ctx.committed.at(-1)).toEqual({ topic, partition: 0, offset: '5' });
    ctx.actors.stopAll();
  });

  it('goes on while a checkpoint is being stored: a later batch’s unlock is stored at once, and the checkpoint after', async () => {
    const { db } = stack;
    const [first, second] = [uniqueName('c'), uniqueName('c')];
    const topic = uniqueName('tx');
    const ctx = transactionsContext(topic, { intervalMs: 60_000, events: 2 });
    const batchOf = batchesOf(
      topic,
      [
        purchase({ clientId: first, categoryId: 5814, time: '2026-11-01T09:00:00Z' }),
        purchase({ clientId: first, categoryId: 5814, time: '2026-11-02T09:00:00Z' }),
        purchase({ clientId: second, categoryId: 5814, time: '2026-11-02T10:00:00Z' }),
      ],
      Date.parse('2026-11-03T00:00:00Z'),
    );
    // PostgreSQL slow to take the first client's progress: the checkpoint waits while this test holds a lock.
    const holder = await db.pool.connect();
    await holder.query('SELECT pg_advisory_lock(2817)');
    await db.pool.query(`
      CREATE FUNCTION slow_checkpoint() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_advisory_xact_lock_shared(2817); RETURN NEW; END $$;
      CREATE TRIGGER slow_checkpoint BEFORE INSERT ON client_progress
        FOR EACH ROW WHEN (NEW.client_id = '${first}') EXECUTE FUNCTION slow_checkpoint();`);
    try {
      expect(await ctx.turns.run(0, () => processBatch(batchOf(0, 2), ctx))).toMatchObject({ events: 2 });
      const writing = ctx.ledgers.get(0)!.writing;
      expect(writing).toBeDefined();
      // The next batch is not held up by it: the second client's first purchase is stored at once.
      expect(await ctx.turns.run(0, () => processBatch(batchOf(2), ctx))).toMatchObject({ events: 1 });
      expect(await unlocksOf(db.pool, second)).toEqual(['first-purchase']);
      expect(ctx.ledgers.get(0)!.writing).toBe(writing);
      expect(await storedOffset(ctx.groupId, topic)).toEqual({ next_offset: '0', decided_offset: '3' });
    } finally {
      await holder.query('SELECT pg_advisory_unlock(2817)');
      holder.release();
    }
    // Once stored, the checkpoint holds what it took (two records), fenced by the row the unlock moved meanwhile.
    await ctx.ledgers.get(0)!.writing;
    expect(await storedOffset(ctx.groupId, topic)).toEqual({ next_offset: '2', decided_offset: '3' });
    expect(ctx.committed.at(-1)).toEqual({ topic, partition: 0, offset: '2' });
    await db.pool.query('DROP TRIGGER slow_checkpoint ON client_progress; DROP FUNCTION slow_checkpoint()');
    await processed(batchOf(3), ctx);
    expect(await checkpointNow(ctx)).toBe('stored');
    expect(await storedOffset(ctx.groupId, topic)).toEqual({ next_offset: '3', decided_offset: '3' });
    expect(await storedProgressOf(db.pool, second, 'coffee-lover', '2026-11-03T12:00:00+02:00')).toEqual({
      current: 1,
      target: 10,
    });
    ctx.actors.stopAll();
  });

  it('compresses the page images its checkpoints and unlocks log, where the role may', async () => {
    const { db, producer, rules } = stack;
    const clientId = uniqueName('c');
    const topic = uniqueName('tx');
    const recordKinds = new Map([[topic, 'transaction' as const]]);
    expect(await mayCompressWal(db.pool)).toBe(true);
    const ctx = batchContext({ db: db.pool, producer, rules, recordKinds, compressWal: true });
    // What each of the processor's writes runs with, seen from inside its transaction.
    await db.pool.query(`
      CREATE TABLE seen_settings (tbl text, wal_compression text);
      CREATE FUNCTION note_settings() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN INSERT INTO seen_settings VALUES (TG_TABLE_NAME, current_setting('wal_compression')); RETURN NEW; END $$;
      CREATE TRIGGER note_progress BEFORE INSERT ON client_progress FOR EACH ROW EXECUTE FUNCTION note_settings();
      CREATE TRIGGER note_unlocks BEFORE INSERT ON achievement_unlocks FOR EACH ROW EXECUTE FUNCTION note_settings();`);
    try {
      await processed(
        batchesOf(
          topic,
          [purchase({ clientId, time: '2026-11-02T09:00:00Z' })],
          Date.parse('2026-11-03T00:00:00Z'),
        )(0),
        ctx,
      );
      const { rows } = await db.pool.query('SELECT tbl, wal_compression FROM seen_settings ORDER BY tbl');
      expect(rows).toEqual([
        { tbl: 'achievement_unlocks', wal_compression: 'lz4' },
        { tbl: 'client_progress', wal_compression: 'lz4' },
      ]);
    } finally {
      await db.pool
        .query(`DROP TRIGGER note_progress ON client_progress; DROP TRIGGER note_unlocks ON achievement_unlocks;
                           DROP FUNCTION note_settings(); DROP TABLE seen_settings;`);
      ctx.actors.stopAll();
    }
  });

  it('puts the run’s actors back when its unlocks cannot be stored, so the retried batch counts each event once', async () => {
    const { db } = stack;
    const clientId = uniqueName('c');
    const topic = uniqueName('tx');
    const ctx = transactionsContext(topic);
    const coffees = days('2026-11-01', 3).map((time) => purchase({ clientId, categoryId: 5814, time }));
    const batch = batchesOf(topic, coffees, Date.parse('2026-11-04T00:00:00Z'))(0);
    // PostgreSQL not taking the unlock, as a server restarting does: the failure is not the records'.
    await db.pool.query(`
      CREATE FUNCTION not_now() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'not now' USING ERRCODE = '57P03'; END $$;
      CREATE TRIGGER not_now BEFORE INSERT ON achievement_unlocks FOR EACH ROW EXECUTE FUNCTION not_now();`);
    await expect(processed(batch, ctx)).rejects.toThrow('not now');
    await db.pool.query('DROP TRIGGER not_now ON achievement_unlocks');

    expect(await processed(batch, ctx)).toMatchObject({ events: 3, deadLetters: 0 });
    expect(await storedProgressOf(db.pool, clientId, 'coffee-lover', '2026-11-04T12:00:00+02:00')).toEqual({
      current: 3,
      target: 10,
    });
    ctx.actors.stopAll();
  });

  it('refuses to write over a partition another instance checkpointed, and fetches it again from there', async () => {
    const { db, producer, rules } = stack;
    const clientId = uniqueName('c');
    const topic = uniqueName('tx');
    const coffees = days('2026-11-01', 5).map((time) => purchase({ clientId, categoryId: 5814, time }));
    const batchOf = batchesOf(topic, coffees, Date.parse('2026-11-06T00:00:00Z'));
    const recordKinds = new Map([[topic, 'transaction' as const]]);
    const groupId = uniqueName('group');
    const stale = batchContext({
      db: db.pool,
      producer,
      rules,
      recordKinds,
      groupId,
      checkpoints: { intervalMs: 60_000, events: 2 },
    });
    const owner = batchContext({ db: db.pool, producer, rules, recordKinds, groupId });
    // The stale instance opens the partition and applies a record; the owner, taking it over, applies three.
    expect(await processed(batchOf(0, 1), stale)).toMatchObject({ events: 1 });
    expect(await processed(batchOf(0, 3), owner)).toMatchObject({ events: 3 });
    // The stale instance's next checkpoint is refused: it drops what it held and is fetched again from 3.
    await processed(batchOf(1, 4), stale);
    expect(stale.sought.at(-1)).toEqual({ topic, partition: 0, offset: '3' });
    expect(stale.actors.missing([clientId])).toEqual([clientId]);
    expect(await processed(batchOf(3), stale)).toMatchObject({ events: 2 });
    expect(await storedProgressOf(db.pool, clientId, 'coffee-lover', '2026-11-06T12:00:00+02:00')).toEqual({
      current: 5,
      target: 10,
    });
    expect(await unlocksOf(db.pool, clientId)).toEqual(['first-purchase']);
    stale.actors.stopAll();
    owner.actors.stopAll();
  });

  it('has a batch starting past the stored offset fetched again from it, so no record is skipped', async () => {
    const { db, producer, rules } = stack;
    const clientId = uniqueName('c');
    const topic = uniqueName('tx');
    const recordKinds = new Map([[topic, 'transaction' as const]]);
    const groupId = uniqueName('group');
    const coffees = days('2026-11-01', 4).map((time) => purchase({ clientId, categoryId: 5814, time }));
    const batchOf = batchesOf(topic, coffees, Date.parse('2026-11-05T00:00:00Z'));
    const first = batchContext({ db: db.pool, producer, rules, recordKinds, groupId });
    await processed(batchOf(0, 1), first);
    // A consumer fetching from offset 3 (Kafka's committed offset ahead of PostgreSQL's, as after a restore).
    const next = batchContext({ db: db.pool, producer, rules, recordKinds, groupId });
    expect(await processed(batchOf(3), next)).toMatchObject({ sought: true });
    expect(next.sought).toEqual([{ topic, partition: 0, offset: '1' }]);
    expect(await processed(batchOf(1), next)).toMatchObject({ events: 3 });
    expect(await storedProgressOf(db.pool, clientId, 'coffee-lover', '2026-11-05T12:00:00+02:00')).toEqual({
      current: 4,
      target: 10,
    });
    first.actors.stopAll();
    next.actors.stopAll();
  });

  it('has a partition it holds fetched from where its actors are when assigned it again, so no record is skipped', async () => {
    const clientId = uniqueName('c');
    const topic = uniqueName('tx');
    const ctx = transactionsContext(topic);
    const coffees = days('2026-11-01', 4).map((time) => purchase({ clientId, categoryId: 5814, time }));
    const batchOf = batchesOf(topic, coffees, Date.parse('2026-11-05T00:00:00Z'));
    await processed(batchOf(0, 2), ctx);
    // The group rejoins and this instance keeps the partition; kafkajs would fetch from Kafka's committed
    // offset, here 3 (ahead, as after a restore whose first commit the rebalance refused).
    await ctx.turns.run(0, () => takeAssigned(ctx, 0));
    expect(ctx.sought).toEqual([{ topic, partition: 0, offset: '2' }]);
    expect(await processed(batchOf(3), ctx)).toMatchObject({ sought: true });
    expect(await processed(batchOf(2), ctx)).toMatchObject({ events: 2 });
    expect(
      await storedProgressOf(stack.db.pool, clientId, 'coffee-lover', '2026-11-05T12:00:00+02:00'),
    ).toEqual({ current: 4, target: 10 });
    ctx.actors.stopAll();
  });

  it('lets go of both input topics’ actors of a partition a backfill merged into, and applies the rest on the merge', async () => {
    const { db, producer, rules } = stack;
    const [tx, events] = [uniqueName('tx'), uniqueName('events')];
    const ctx = batchContext({
      db: db.pool,
      producer,
      rules,
      recordKinds: new Map([
        [tx, 'transaction'],
        [events, 'client-event'],
      ] as const),
    });
    const clients = [uniqueName('c'), uniqueName('c')];
    const coffeesOf = (clientId: string) =>
      days('2026-11-01', 8).map((time) => purchase({ clientId, categoryId: 5814, time }));
    const [first, second] = clients.map(coffeesOf) as [InputEvent[], InputEvent[]];
    const writtenAt = Date.parse('2026-11-09T00:00:00Z');
    // Both clients' actors come to life on the client-events topic; then each counts two coffees.
    const synced = clients.map((clientId) =>
      clientEvent('contacts.synced', '2026-11-01T09:00:00Z', {}, clientId),
    );
    await processed(batchesOf(events, synced, writtenAt)(0), ctx);
    const txLog = [...first.slice(0, 2), ...second.slice(0, 2), first[7]!, second[7]!];
    const txBatch = batchesOf(tx, txLog, writtenAt);
    await processed(txBatch(0, 4), ctx);
    // A backfill merges seven coffees into each client at the checkpoint, moving the partition's epoch.
    for (const coffees of [first, second]) {
      let merged = initialProgress();
      for (const coffee of coffees.slice(0, 7)) merged = decide(merged, coffee, catalog, KYIV).progress;
      await db.pool.query(
        `UPDATE client_progress SET progress = $2, version = version + 1 WHERE client_id = $1`,
        [coffees[0]!.clientId, JSON.stringify(merged)],
      );
    }
    await db.pool.query('UPDATE consumer_offsets SET epoch = epoch + 1 WHERE group_id = $1', [ctx.groupId]);

    // The first client's eighth coffee meets the fence at the checkpoint: both topics are fetched again.
    await processed(txBatch(4, 5), ctx);
    expect(ctx.sought.slice(-2).sort((a, b) => a.topic.localeCompare(b.topic))).toEqual(
      [
        { topic: tx, partition: 0, offset: '4' },
        { topic: events, partition: 0, offset: '2' },
      ].sort((a, b) => a.topic.localeCompare(b.topic)),
    );
    expect(ctx.actors.missing(clients)).toEqual(clients);
    expect(await processed(txBatch(4), ctx)).toMatchObject({ events: 2 });
    for (const clientId of clients)
      expect(await storedProgressOf(db.pool, clientId, 'coffee-lover', '2026-11-09T12:00:00+02:00')).toEqual({
        current: 8,
        target: 10,
      });
    ctx.actors.stopAll();
  });
});
