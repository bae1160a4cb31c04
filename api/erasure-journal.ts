import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type pg from 'pg';
import { z } from 'zod';
import { logger } from '../platform/logger.js';
import { eraseStored } from './client-erasure.js';
import { parsedJson } from '../platform/text.js';

/**
 * Erasures outlive a restore (CONTRACT §7, docs/runbook.md "Restore to a point in time"): each erasure is
 * journaled on `achievements.erasures.v1` as it commits, and a database restored to a time before some of
 * them applies those again, at their own time, before any processor starts: events dated before each erasure
 * never count again, and the replay that follows arrives at the state the erasures had left.
 */

const journaled = z.object({ clientId: z.string().min(1), erasedAt: z.string().min(1) });

/** The last erasure of every client the journal holds, read from its start to its end now. */
export async function journaledErasures(kafka: Kafka, topic: string) {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const remaining = new Map(
    ends.filter(({ high, low }) => high !== low).map(({ partition, high }) => [partition, BigInt(high)]),
  );
  const latest = new Map<string, string>();
  if (remaining.size === 0) return latest;
  const consumer = kafka.consumer({ groupId: `achievements-restore-${randomUUID()}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: ({ partition, message }) => {
            const parsed = journaled.safeParse(parsedJson(message.value?.toString() ?? ''));
            if (parsed.success) latest.set(parsed.data.clientId, parsed.data.erasedAt);
            if (BigInt(message.offset) + 1n >= (remaining.get(partition) ?? 0n)) remaining.delete(partition);
            if (remaining.size === 0) resolve();
            return Promise.resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return latest;
}

/**
 * Applies again every journaled erasure the restored database does not hold (or holds from an earlier time);
 * answers the clients erased again. The audit log says it was the restore, and why.
 */
export async function reapplyErasures(db: pg.Pool, kafka: Kafka, topic: string, reason: string) {
  const journal = await journaledErasures(kafka, topic);
  const { rows } = await db.query<{ client_id: string; erased_at: Date }>(
    'SELECT client_id, erased_at FROM erased_clients WHERE client_id = ANY($1)',
    [[...journal.keys()]],
  );
  const held = new Map(rows.map((row) => [row.client_id, row.erased_at.getTime()]));
  const again: string[] = [];
  for (const [clientId, erasedAt] of journal) {
    if ((held.get(clientId) ?? -Infinity) >= Date.parse(erasedAt)) continue;
    await eraseStored(
      db,
      clientId,
      { actorId: 'restore', actorRole: 'admin', action: 'client.erasure.reapplied', reason },
      { topic, erasedAt },
    );
    again.push(clientId);
  }
  logger('privacy').info({ count: again.length }, 'erasures newer than the restored database applied again');
  return again;
}
