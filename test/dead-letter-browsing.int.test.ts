import { runner } from 'node-pg-migrate';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createApp } from '../api/app.js';
import { postgresDeadLetters, type DeadLetterListing } from '../api/dead-letter-store.js';
import { createPool, migrate } from '../platform/postgres.js';
import { apiDependencies } from './support/api.js';
import { eventually, unlocksOf, valueOf } from './support/engine.js';
import { purchase } from './support/events.js';
import { testKafka, uniqueName } from './support/stack.js';
import { redriveEngine } from './support/redrive-engine.js';
import { requestsAs } from './support/tokens.js';

const HOUR_MS = 3_600_000;

interface Record {
  key: string | null;
  keyEncoding?: string;
  headers: { [name: string]: string };
  headersEncoding?: string;
}

const fromBase64 = (text: string) => Buffer.from(text, 'base64');
const headersOf = ({ headers }: Record) =>
  Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [fromBase64(name).toString('hex'), value]),
  );

describe('dead letters holding any bytes Kafka carries', () => {
  const kafka = testKafka();
  const stops: (() => Promise<unknown>)[] = [];

  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
  });

  it('are listed, read and redriven through the API when keys and headers hold NUL', async () => {
    const { db, inputs, producer, store } = await redriveEngine(kafka, 1, stops);
    const base = apiDependencies();
    const app = createApp({
      ...base,
      deadLetters: store,
      admin: { ...base.admin, audit: () => Promise.resolve() },
    });
    const support = requestsAs(app, { role: 'support', sub: 'emp-2' });
    const admin = requestsAs(app, { role: 'admin', sub: 'emp-1' });

    // A key holding NUL, and a purchase with NUL in a header name and value whose producer's clock ran behind.
    const now = Date.now();
    const clientId = uniqueName('c');
    const coffee = JSON.stringify(
      valueOf(purchase({ clientId, time: new Date(now - HOUR_MS).toISOString() })),
    );
    const nulKey = Buffer.from(`${clientId}\u0000`);
    const headers = { 'trace\u0000id': Buffer.from('a\u0000b'), binary: Buffer.from([0xff, 0x00]) };
    await (
      await producer.get()
    ).send({
      topic: inputs.transactions,
      messages: [
        { key: nulKey, value: coffee, headers },
        { key: clientId, value: coffee, headers, timestamp: String(now - 72 * HOUR_MS) },
      ],
    });
    const listed = await eventually(
      async () => {
        const response = await support('GET', '/v1/admin/dead-letters?days=1');
        return { status: response.status, body: (await response.json()) as { letters: DeadLetterListing[] } };
      },
      ({ status, body }) => status !== 200 || body.letters.length === 2,
    );
    expect(listed.status).toBe(200);
    const [late, badKey] = listed.body.letters;
    expect([badKey!.reason, late!.reason]).toEqual(['key', 'impossible-time']);
    expect([badKey!.redrivable, late!.redrivable]).toEqual([true, true]);

    const read = await support('GET', `/v1/admin/dead-letters/${badKey!.id}?reason=ticket%20512`);
    expect(read.status).toBe(200);
    const { record } = (await read.json()) as { record: Record };
    expect(record.keyEncoding).toBe('base64');
    expect(fromBase64(record.key!).equals(nulKey)).toBe(true);
    expect(record.headersEncoding).toBe('base64');
    expect(headersOf(record)).toEqual({
      [Buffer.from('trace\u0000id').toString('hex')]: headers['trace\u0000id'].toString('base64'),
      [Buffer.from('binary').toString('hex')]: headers.binary.toString('base64'),
    });

    const sent = await admin('POST', '/v1/admin/dead-letters/redrive', {
      ids: [badKey!.id, late!.id],
      reason: 'producer fixed',
    });
    expect(sent.status).toBe(202);
    expect(await sent.json()).toEqual({ redriven: [badKey!.id, late!.id], refused: [] });
    const answered = await eventually(
      () => store.overview({ sinceMs: now - HOUR_MS, limit: 10 }),
      ({ letters }) => letters.every((letter) => letter.redrive?.status !== 'asked'),
    );
    expect(answered.letters.map((letter) => [letter.id, letter.redrive?.status])).toEqual([
      [late!.id, 'accepted'],
      [badKey!.id, 'refused'],
    ]);
    expect(answered.letters[1]!.redrive!.refusal).toBe(
      `the record key "${clientId}\\u0000" is not its clientId "${clientId}"`,
    );
    expect(await unlocksOf(db.pool, clientId)).toEqual(['first-purchase']);
  });

  it('are listed after the migration when indexed before it with NUL in their JSON', async () => {
    const databaseUrl = inject('databaseUrl');
    const schema = uniqueName('test').replace('-', '_');
    await runner({
      databaseUrl,
      dir: 'migrations',
      direction: 'up',
      count: 9,
      migrationsTable: 'schema_migrations',
      schema,
      createSchema: true,
      log: () => undefined,
    });
    const pool = createPool(databaseUrl, schema);
    stops.push(async () => {
      await pool.query(`DROP SCHEMA ${schema} CASCADE`);
      await pool.end();
    });
    // As the engine wrote them before: a key holding NUL as text, and a truncated original's compact record.
    const recordOf = (offset: number, extra: object) =>
      JSON.stringify({
        error: 'e',
        topic: 'bank.transactions.v1',
        partition: 0,
        offset: String(offset),
        ...extra,
      });
    await pool.query(
      `INSERT INTO dead_letters (topic, partition, "offset", key, reason, error, record)
       VALUES ('bank.transactions.v1', 0, 1, '\\x6300'::bytea, 'key', 'e', $1),
              ('bank.transactions.v1', 0, 2, '\\x6300'::bytea, 'too-large', 'e', $2)`,
      [
        recordOf(1, { key: 'c\u0000', value: '{}', headers: { 'h\u0000': 'truncated' } }),
        recordOf(2, { key: 'c\u0000', value: '{', headers: {}, truncated: true, valueBytes: 70_000 }),
      ],
    );
    await expect(pool.query(`SELECT record::json ->> 'truncated' FROM dead_letters`)).rejects.toThrow(
      /unsupported Unicode escape sequence/,
    );
    await migrate(databaseUrl, schema);
    const store = postgresDeadLetters(pool, () => Promise.reject(new Error('no redrive here')), {
      inputs: ['bank.transactions.v1'],
      redrive: 'unused',
    });
    const { letters } = await store.overview({ sinceMs: Date.now() - HOUR_MS, limit: 10 });
    expect(letters.map((letter) => [letter.offset, letter.redrivable])).toEqual([
      ['2', false],
      ['1', true],
    ]);
    expect(((await store.one(letters[1]!.id))!.record as Record).key).toBe('c\u0000');
  });
});
