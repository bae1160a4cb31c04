import { Partitioners, type Kafka } from 'kafkajs';
import type pg from 'pg';
import { traffic } from '../simulator/traffic.js';

/** One record in this many is a probe: the first purchase of a new client, which unlocks first-purchase. */
const PROBE_EVERY = 50;

export interface LatencyResult {
  sent: number;
  received: number;
  p50: number;
  p99: number;
  /** Up to the unlock's transaction in PostgreSQL (its `recorded_at`): the rest is its commit and the outbox. */
  stored: { p50: number; p99: number };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/**
 * (d) Event → unlock latency under a steady load of `rate` records per second of simulator traffic (the
 * benchmark's clients, so their progress is loaded or cached as in production). Every PROBE_EVERY-th record
 * is the first purchase of a new client, which unlocks `first-purchase`; its latency runs from the input
 * record's send to the unlock record on the benchmark's unlock topic (outbox included), both stamped by this
 * machine's clock. Where the time goes is split at the unlock's transaction in PostgreSQL (`recorded_at`, when
 * it began): before it, fetching and deciding; after it, the commit and the outbox.
 */
export async function measureLatency(
  kafka: Kafka,
  db: pg.Pool,
  topics: { transactions: string; clientEvents: string; unlocked: string },
  clients: number,
  rate: number,
  seconds: number,
  runId: string,
): Promise<LatencyResult> {
  const prefix = `lat-${runId}-`;
  const unlockedTopic = topics.unlocked;
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(unlockedTopic);
  await admin.disconnect();

  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const reader = kafka.consumer({ groupId: `bench-latency-${runId}`, maxWaitTimeInMs: 20 });
  await reader.connect();
  await reader.subscribe({ topic: unlockedTopic });
  await reader.run({
    eachMessage: ({ message }) => {
      const clientId = message.key?.toString() ?? '';
      const sent = sentAt.get(clientId);
      if (clientId.startsWith(prefix) && sent !== undefined) latencies.push(Number(message.timestamp) - sent);
      return Promise.resolve();
    },
  });
  for (const { partition, offset } of ends) reader.seek({ topic: unlockedTopic, partition, offset });

  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const total = Math.round(rate * seconds);
  const nowMs = Date.now();
  const background = traffic({ clients, seed: 7, startMs: nowMs - 86_400_000, endMs: nowMs, total });
  const started = Date.now();
  let probes = 0;
  for (let sent = 0; sent < total;) {
    const due = Math.min(total, Math.floor(((Date.now() - started) / 1000) * rate)) - sent;
    const transactions: { key: string; value: string; timestamp: string }[] = [];
    const clientEvents: { key: string; value: string }[] = [];
    for (let i = 0; i < due; i++) {
      const now = Date.now();
      if ((sent + i) % PROBE_EVERY === 0) {
        const clientId = `${prefix}${probes++}`;
        sentAt.set(clientId, now);
        const tx = {
          id: `${clientId}-tx`,
          clientId,
          kind: 'purchase',
          amount: 5_000,
          currency: 'UAH',
          time: new Date(now).toISOString(),
          categoryId: 5411,
          merchantId: 'm-1',
          geo: { lat: 50.45, lon: 30.52, country: 'UA' },
          originalId: null,
        };
        transactions.push({ key: clientId, value: JSON.stringify(tx), timestamp: String(now) });
        continue;
      }
      const next = background.next();
      if (next.done) break;
      const record = next.value;
      const message = {
        key: record.value.clientId,
        value: JSON.stringify(record.value),
        timestamp: String(now),
      };
      (record.topic === 'transactions' ? transactions : clientEvents).push(message);
    }
    const topicMessages = [
      { topic: topics.transactions, messages: transactions },
      { topic: topics.clientEvents, messages: clientEvents },
    ].filter((t) => t.messages.length > 0);
    if (topicMessages.length > 0) await producer.sendBatch({ topicMessages });
    sent += due;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await producer.disconnect();
  const deadline = Date.now() + 30_000;
  while (latencies.length < probes && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 100));
  await reader.disconnect();
  const sorted = [...latencies].sort((a, b) => a - b);
  const { rows } = await db.query<{ client_id: string; recorded_ms: string }>(
    `SELECT client_id, (extract(epoch FROM recorded_at) * 1000)::bigint AS recorded_ms
       FROM achievement_unlocks WHERE starts_with(client_id, $1)`,
    [prefix],
  );
  const stored = rows
    .map((row) => Number(row.recorded_ms) - sentAt.get(row.client_id)!)
    .sort((a, b) => a - b);
  return {
    sent: probes,
    received: latencies.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    stored: { p50: percentile(stored, 50), p99: percentile(stored, 99) },
  };
}
