import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunningProcessor } from '../actors/processor.js';
import { metrics } from '../platform/metrics.js';
import { createPool } from '../platform/postgres.js';
import {
  eventually,
  ownInputTopics,
  produceEvents,
  startTestProcessor,
  unlocksOf,
} from './support/engine.js';
import { purchase } from './support/events.js';
import { migratedSchema, testKafka, uniqueName } from './support/stack.js';
import { startTcpProxy } from './support/tcp-proxy.js';

const retriesSoFar = async (topic: string) =>
  (await metrics.batchRetries.get()).values.find((v) => v.labels.topic === topic)?.value ?? 0;

describe('the processor while PostgreSQL is unreachable', () => {
  const kafka = testKafka();
  let db: Awaited<ReturnType<typeof migratedSchema>>;
  let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
  let processorPool: ReturnType<typeof createPool>;
  let topics: Awaited<ReturnType<typeof ownInputTopics>>;
  let processor: RunningProcessor;

  beforeAll(async () => {
    db = await migratedSchema();
    const url = new URL(inject('databaseUrl'));
    proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port) });
    url.port = String(proxy.port);
    processorPool = createPool(url.toString(), db.schema);
    topics = await ownInputTopics(kafka, 1);
    processor = await startTestProcessor(processorPool, topics);
  });

  afterAll(async () => {
    await processor?.stop();
    await processorPool?.end();
    await proxy?.close();
    await db?.drop();
  });

  const unlockedBy = (clientId: string) => unlocksOf(db.pool, clientId);

  it('keeps its records, retries with backoff, and goes on by itself once PostgreSQL is back', async () => {
    const before = uniqueName('c');
    await produceEvents(kafka, topics, [purchase({ clientId: before, time: '2026-11-20T10:00:00+02:00' })]);
    await eventually(
      () => unlockedBy(before),
      (ids) => ids.length === 1,
    );

    await proxy.cut();
    const during = uniqueName('c');
    const retriesBefore = await retriesSoFar(topics.transactions);
    await produceEvents(kafka, topics, [purchase({ clientId: during, time: '2026-11-20T10:00:00+02:00' })]);
    await eventually(
      () => retriesSoFar(topics.transactions),
      (retries) => retries >= retriesBefore + 3,
    );
    expect(await unlockedBy(during)).toEqual([]);

    await proxy.restore();
    expect(
      await eventually(
        () => unlockedBy(during),
        (ids) => ids.length === 1,
      ),
    ).toEqual(['first-purchase']);
  });
});
