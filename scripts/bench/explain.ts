import { Partitioners, type Kafka } from 'kafkajs';
import { kafkaHistory } from '../../api/client-history.js';
import { loadCatalog } from '../../platform/catalog-files.js';
import { createTopics } from '../../platform/topic-creation.js';
import { NO_CONTEXT } from '../../rules/audience.js';
import { decide } from '../../rules/decide.js';
import type { InputEvent } from '../../rules/events.js';
import { explain, historySince } from '../../rules/explain.js';
import { initialProgress } from '../../rules/progress.js';
import { traffic } from '../simulator/traffic.js';

const DAY = 86_400_000;
const ZONE = 'Europe/Kyiv';

/** How long one explain took, and how many of the client's records it read. */
export interface ExplainTiming {
  records: number;
  firstPurchaseMs: number;
  weekStreakMs: number;
  /** The same week-streak explain reading the whole partition, as it did before (2026-12-07). */
  wholePartitionMs: number;
}

/**
 * (q) Explains of two lifetime achievements (first-purchase, week-streak) for a client whose week of daily
 * purchases ends a partition of `records` records written over the year before them (Kafka timestamps set so),
 * as the admin route runs them: the client's history from Kafka since `historySince`, then `explain`.
 */
async function explainOnPartitionOf(kafka: Kafka, records: number, runId: string): Promise<ExplainTiming> {
  const topics = {
    transaction: `bench-${runId}-explain-${records}-tx`,
    'client-event': `bench-${runId}-explain-${records}-ev`,
  };
  await createTopics(
    kafka,
    Object.values(topics).map((topic) => ({ topic, numPartitions: 1 })),
  );
  const nowMs = Date.now();
  const yearAgo = nowMs - 365 * DAY;
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const background = traffic({
    clients: 100_000,
    seed: 5,
    startMs: yearAgo,
    endMs: nowMs - 8 * DAY,
    total: records,
  });
  let chunk: { key: string; value: string; timestamp: string }[] = [];
  const send = async () => {
    await producer.send({ topic: topics.transaction, messages: chunk });
    chunk = [];
  };
  for (const record of background) {
    if (record.topic !== 'transactions') continue;
    chunk.push({
      key: record.value.clientId,
      value: JSON.stringify(record.value),
      timestamp: String(Date.parse(record.value.time)),
    });
    if (chunk.length === 1_000) await send();
  }
  const clientId = `explained-${runId}`;
  const week: InputEvent[] = Array.from({ length: 7 }, (_, i) => {
    const time = new Date(nowMs - (7 - i) * DAY).toISOString();
    return {
      type: 'TransactionReceived',
      clientId,
      transaction: {
        id: `${clientId}-${i}`,
        clientId,
        kind: 'purchase',
        amount: 5_000,
        currency: 'UAH',
        time,
        categoryId: 5814,
        merchantId: 'm-1',
        geo: { lat: 50.45, lon: 30.52, country: 'UA' },
        originalId: null,
      },
    };
  });
  for (const event of week)
    if (event.type === 'TransactionReceived')
      chunk.push({
        key: clientId,
        value: JSON.stringify(event.transaction),
        timestamp: String(Date.parse(event.transaction.time)),
      });
  await send();
  await producer.disconnect();

  const catalog = loadCatalog();
  let progress = initialProgress();
  for (const event of week) progress = decide(progress, event, catalog, ZONE).progress;
  const historyOf = kafkaHistory(kafka, topics);
  const timed = async (achievementId: string, sinceMs: number | undefined) => {
    const started = performance.now();
    const history = await historyOf(clientId, sinceMs);
    const { events } = explain(achievementId, catalog, history, ZONE, NO_CONTEXT);
    if (events.length !== week.length)
      throw new Error(`explain read ${events.length} of the client's 7 records`);
    return performance.now() - started;
  };
  const since = (id: string) => historySince(catalog.achievements.get(id)!, progress, nowMs);
  return {
    records,
    firstPurchaseMs: await timed('first-purchase', since('first-purchase')),
    weekStreakMs: await timed('week-streak', since('week-streak')),
    wholePartitionMs: await timed('week-streak', undefined),
  };
}

export async function measureExplains(kafka: Kafka, runId: string): Promise<ExplainTiming[]> {
  return [
    await explainOnPartitionOf(kafka, 100_000, runId),
    await explainOnPartitionOf(kafka, 1_000_000, runId),
  ];
}
