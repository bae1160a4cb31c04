import type { Message, Producer } from 'kafkajs';
import type pg from 'pg';
import { logger } from '../platform/logger.js';
import { inTransaction } from '../platform/postgres.js';

const BATCH = 500;

/**
 * Publishes committed outbox records to Kafka and deletes them once the broker acknowledged them. Rows are
 * locked with SKIP LOCKED, so several processor instances can publish side by side without sending a record
 * twice at once; a crash after the send and before the delete publishes again, which the stable ids absorb.
 */
export async function publishOutbox(db: pg.Pool, producer: Producer): Promise<number> {
  let published = 0;
  for (;;) {
    const sent = await inTransaction(db, async (client) => {
      const { rows } = await client.query<{
        id: string;
        topic: string;
        key: string;
        value: unknown;
        headers: Record<string, string> | null;
      }>('SELECT id, topic, key, value, headers FROM outbox ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED', [
        BATCH,
      ]);
      if (rows.length === 0) return 0;
      const byTopic = new Map<string, Message[]>();
      for (const row of rows) {
        const messages = byTopic.get(row.topic) ?? [];
        messages.push({
          key: row.key,
          value: JSON.stringify(row.value),
          ...(row.headers ? { headers: row.headers } : {}),
        });
        byTopic.set(row.topic, messages);
      }
      await producer.sendBatch({
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
      await client.query('DELETE FROM outbox WHERE id = ANY($1)', [rows.map((row) => row.id)]);
      return rows.length;
    });
    if (sent === 0) return published;
    published += sent;
  }
}

/**
 * Runs `publishOutbox` when kicked (after each committed batch) and every `intervalMs` as a safety net, never
 * two at once. The returned `stop` waits for a publish in progress.
 */
export function startOutboxPublisher(db: pg.Pool, producer: Producer, intervalMs = 1_000) {
  const log = logger('outbox');
  let running: Promise<void> | undefined;
  let again = false;
  const run = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = publishOutbox(db, producer)
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
