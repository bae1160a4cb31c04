import type { Admin, KafkaMessage, Producer } from 'kafkajs';
import type pg from 'pg';
import { sendDeadLetters } from '../platform/dead-letter-sink.js';
import { deadLetter } from '../platform/dead-letters.js';
import { describeFailure } from '../platform/failures.js';
import { logger } from '../platform/logger.js';
import { metrics } from '../platform/metrics.js';
import { inTransaction } from '../platform/postgres.js';
import { sendByPartition, sizeOf, type OutboxMessage, type SendOutcome } from './outbox-sends.js';

const BATCH = 500;

/** What the outbox publisher sends with, and where a record the broker refuses for good goes. */
export interface OutboxPorts {
  db: pg.Pool;
  producer: Producer;
  /** Tells each topic's partitions, so each partition's records are sent apart from the others'. */
  admin: Admin;
  deadLetterTopic: string;
}

interface Row {
  id: string;
  topic: string;
  key: string;
  value: unknown;
  headers: Record<string, string> | null;
}

const asMessage = (row: Row): OutboxMessage => ({
  id: row.id,
  topic: row.topic,
  message: {
    key: row.key,
    value: JSON.stringify(row.value),
    ...(row.headers ? { headers: row.headers } : {}),
  },
});

/**
 * The DLQ record of an outbox record the broker refused for good. It never had an offset: its source position
 * is the topic and partition it was for, and its outbox id (unique, as an offset is).
 */
function refusedLetter({ record, partition, refusal }: SendOutcome['refused'][number]) {
  const message: KafkaMessage = {
    key: Buffer.from(record.message.key),
    value: Buffer.from(record.message.value),
    headers: record.message.headers ?? {},
    offset: record.id,
    timestamp: String(Date.now()),
    attributes: 0,
  };
  const reason = `the broker refused this record for good (${sizeOf(record)} bytes): ${describeFailure(refusal)}`;
  return deadLetter({ topic: record.topic, partition, message }, reason);
}

/** Sets aside the records refused for good; their ids once the DLQ has them, or the failure that kept them. */
async function setAside(ports: OutboxPorts, refused: SendOutcome['refused']) {
  if (refused.length === 0) return { ids: [] };
  const letters = refused.map(refusedLetter);
  try {
    await sendDeadLetters({ producer: ports.producer, db: ports.db, topic: ports.deadLetterTopic }, letters);
  } catch (error) {
    return { ids: [], failure: error instanceof Error ? error : new Error(String(error)) };
  }
  for (const { index } of letters) {
    logger('outbox').warn(
      { topic: index.topic, partition: index.partition, outboxId: index.offset, reason: index.error },
      'outbox record set aside to the DLQ',
    );
    metrics.deadLetters.inc({ source_topic: index.topic });
  }
  return { ids: refused.map(({ record }) => record.id) };
}

/**
 * One pass over the oldest rows no other publisher holds: sends them, sets aside those refused for good, and
 * deletes what the broker now holds (or the DLQ does). A failure that may heal keeps the rows it left unsent,
 * and is returned to end the run once the rest is stored.
 */
async function publishPass(ports: OutboxPorts, client: pg.PoolClient) {
  const { rows } = await client.query<Row>(
    'SELECT id, topic, key, value, headers FROM outbox ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED',
    [BATCH],
  );
  if (rows.length === 0) return undefined;
  const { sent, refused, failure } = await sendByPartition(ports.producer, ports.admin, rows.map(asMessage));
  const setAsideNow = await setAside(ports, refused);
  await client.query('DELETE FROM outbox WHERE id = ANY($1)', [
    [...sent.map(({ id }) => id), ...setAsideNow.ids],
  ]);
  return { published: sent.length, failure: failure ?? setAsideNow.failure };
}

/**
 * Publishes committed outbox records to Kafka and deletes them once the broker acknowledged them, or refused
 * them for good and the DLQ has them. Rows are locked with SKIP LOCKED, so several processor instances can
 * publish side by side without sending a record twice at once; a crash after the send and before the delete
 * publishes again, which the stable ids absorb. A failure that may heal is thrown once the rows the broker
 * did take are deleted, so a later run sends the rest, and only the rest.
 */
export async function publishOutbox(ports: OutboxPorts): Promise<number> {
  let published = 0;
  for (;;) {
    const pass = await inTransaction(ports.db, (client) => publishPass(ports, client));
    if (!pass) return published;
    published += pass.published;
    if (pass.failure !== undefined) throw pass.failure;
  }
}

/**
 * Runs `publishOutbox` when kicked (after each committed batch) and every `intervalMs` as a safety net, never
 * two at once. The returned `stop` waits for a publish in progress.
 */
export function startOutboxPublisher(ports: OutboxPorts, intervalMs = 1_000) {
  const log = logger('outbox');
  let running: Promise<void> | undefined;
  let again = false;
  const run = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = publishOutbox(ports)
      .then((count) => {
        if (count > 0) log.debug({ count }, 'outbox records published');
      })
      .catch((error: unknown) => log.warn({ err: error }, 'outbox publish failed; will retry'))
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          void run();
        }
      });
    return running;
  };
  const timer = setInterval(() => void run(), intervalMs);
  return {
    kick: () => void run(),
    stop: async () => {
      clearInterval(timer);
      again = false;
      await running;
    },
  };
}
