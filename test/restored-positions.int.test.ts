import { afterAll, describe, expect, it } from 'vitest';
import { killGroup, startRole, stopRole, type Child } from '../scripts/children.js';
import { eventually, processedToEnds, produceEvents, topicEnds } from './support/engine.js';
import { clientEvent, purchase } from './support/events.js';
import { ownEngine } from './support/roles.js';
import { migratedSchema, testKafka, uniqueName } from './support/stack.js';

/**
 * A database restored to an earlier time (docs/runbook.md, "Restore") stands behind what the processors last
 * told Kafka. `main.ts processor` reads each partition from where PostgreSQL says it stands, so it applies the
 * records after that again, even in a partition whose topics hold nothing past Kafka's committed offsets.
 */
describe('a processor over a database behind Kafka’s committed offsets', () => {
  const kafka = testKafka();
  let db: Awaited<ReturnType<typeof migratedSchema>>;
  const children: Child[] = [];

  afterAll(async () => {
    for (const child of children) killGroup(child);
    await db?.drop();
  });

  it('applies the records past the positions stored in PostgreSQL again', async () => {
    db = await migratedSchema();
    const engine = await ownEngine(kafka, db.schema, 1);
    const [before, after] = [uniqueName('before'), uniqueName('after')];
    const now = Date.now();
    const at = (minutesAgo: number) => new Date(now - minutesAgo * 60_000).toISOString();
    await produceEvents(kafka, engine.inputs, [
      purchase({ clientId: before, time: at(30) }),
      clientEvent('contacts.synced', at(29), {}, before),
    ]);
    const first = await startRole('processor', engine.env);
    children.push(first);
    await processedToEnds(db.pool, kafka, engine.inputs);
    // The time the database is later restored to.
    const restoredTo = await db.pool.query('SELECT * FROM consumer_offsets');

    // Past it, records on the client-event topic only: the transaction topic has nothing new.
    await produceEvents(kafka, engine.inputs, [clientEvent('contacts.synced', at(10), {}, after)]);
    await processedToEnds(db.pool, kafka, engine.inputs);
    const committed = async () => {
      const admin = kafka.admin();
      await admin.connect();
      const [offsets] = await admin.fetchOffsets({
        groupId: engine.groups.processors,
        topics: [engine.inputs.clientEvents],
      });
      await admin.disconnect();
      return offsets!.partitions[0]!.offset;
    };
    const end = (await topicEnds(kafka, engine.inputs.clientEvents))[0]!.offset;
    await eventually(committed, (offset) => offset === end, 30_000, 250);
    expect(await stopRole(first)).toBe(0);

    // The restore: the positions and progress as they were then.
    for (const row of restoredTo.rows as {
      group_id: string;
      topic: string;
      partition: number;
      next_offset: string;
    }[])
      await db.pool.query(
        'UPDATE consumer_offsets SET next_offset = $4 WHERE group_id = $1 AND topic = $2 AND partition = $3',
        [row.group_id, row.topic, row.partition, row.next_offset],
      );
    const { rowCount } = await db.pool.query('DELETE FROM client_progress WHERE client_id = $1', [after]);
    expect(rowCount).toBe(1);

    children.push(await startRole('processor', engine.env));
    await processedToEnds(db.pool, kafka, engine.inputs, 30_000);
    const { rows } = await db.pool.query('SELECT 1 FROM client_progress WHERE client_id = $1', [after]);
    expect(rows).toHaveLength(1);
  }, 180_000);
});
