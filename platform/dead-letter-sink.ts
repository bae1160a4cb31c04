import type { Message, Producer } from 'kafkajs';
import type pg from 'pg';
import type { DeadLetter, KeptRecord } from './dead-letters.js';

/**
 * Where dead letters go: the DLQ topic, and PostgreSQL, which indexes every one for the console and keeps the
 * originals too large to copy whole.
 */
export interface DeadLetterSink {
  producer: Producer;
  db: pg.Pool;
  topic: string;
}

/** One produce request carries at most this much, well under the broker's 1 MiB batch limit. */
const MAX_SEND_BYTES = 512 * 1024;

const sizeOf = (message: Message) =>
  Buffer.byteLength(String(message.value ?? '')) + (message.key?.length ?? 0);

/** Splits items into runs whose summed `size` stays under `limit` (an item over it goes alone), in order. */
export function chunksBySize<T>(items: T[], size: (item: T) => number, limit = MAX_SEND_BYTES): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const itemBytes = size(item);
    if (current.length > 0 && bytes + itemBytes > limit) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += itemBytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

async function keep(db: pg.Pool, records: KeptRecord[]) {
  await db.query(
    `INSERT INTO dead_letter_records (topic, partition, "offset", key, value, headers, value_sha256, error)
     SELECT * FROM unnest($1::text[], $2::int[], $3::bigint[], $4::bytea[], $5::bytea[], $6::json[], $7::text[], $8::text[])
     ON CONFLICT (topic, partition, "offset") DO NOTHING`,
    [
      records.map((r) => r.topic),
      records.map((r) => r.partition),
      records.map((r) => r.offset),
      records.map((r) => r.key),
      records.map((r) => r.value),
      records.map((r) => JSON.stringify(r.headers)),
      records.map((r) => r.valueSha256),
      records.map((r) => r.error),
    ],
  );
}

/** Indexes the letters; a batch applied again finds its letters there already. */
async function index(db: pg.Pool, letters: DeadLetter[]) {
  const rows = letters.map(({ index, message }) => ({ ...index, record: String(message.value) }));
  await db.query(
    `INSERT INTO dead_letters (topic, partition, "offset", key, reason, error, record, truncated)
     SELECT * FROM unnest($1::text[], $2::int[], $3::bigint[], $4::bytea[], $5::text[], $6::text[], $7::text[],
                          $8::boolean[])
     ON CONFLICT (topic, partition, "offset") DO NOTHING`,
    [
      rows.map((r) => r.topic),
      rows.map((r) => r.partition),
      rows.map((r) => r.offset),
      rows.map((r) => r.key),
      rows.map((r) => r.reason),
      rows.map((r) => r.error),
      rows.map((r) => r.record),
      rows.map((r) => r.truncated),
    ],
  );
}

/**
 * Keeps the large originals and indexes every letter, then publishes the DLQ records in produce requests the
 * broker accepts. All are idempotent in effect (a replayed batch keeps the same rows, and DLQ readers see the
 * same source position).
 */
export async function sendDeadLetters(sink: DeadLetterSink, letters: DeadLetter[]) {
  if (letters.length === 0) return;
  const kept = letters.flatMap((letter) => (letter.kept ? [letter.kept] : []));
  if (kept.length > 0) await keep(sink.db, kept);
  await index(sink.db, letters);
  for (const messages of chunksBySize(
    letters.map((letter) => letter.message),
    sizeOf,
  )) {
    await sink.producer.send({ topic: sink.topic, messages });
  }
}
