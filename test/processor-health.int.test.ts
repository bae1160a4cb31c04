import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startProcessor } from '../actors/processor.js';
import { registry } from '../platform/metrics.js';
import { createPool } from '../platform/postgres.js';
import { RetryBudgetSpent } from '../platform/retry.js';
import { startDefaultRuleFeed } from '../platform/rule-feed.js';
import { killGroup, startChild, type Child } from '../scripts/children.js';
import { eventually, ownInputTopics, ownOutputTopics, produceEvents } from './support/engine.js';
import { purchase } from './support/events.js';
import { processorChildEnv } from './support/replays.js';
import { migratedSchema, testKafka, uniqueName } from './support/stack.js';
import { startTcpProxy } from './support/tcp-proxy.js';

/** The consumer lag this process reports, per `topic:partition`, for the given topics. */
async function reportedLag(topics: string[]) {
  const gauge = (await registry.getMetricsAsJSON()).find((m) => m.name === 'achievements_consumer_lag');
  const values = (gauge?.values ?? []) as { labels: { topic?: string; partition?: string }; value: number }[];
  return new Map(
    values
      .filter(({ labels }) => topics.includes(labels.topic ?? ''))
      .map(({ labels, value }) => [`${labels.topic}:${labels.partition}`, value]),
  );
}

describe('a processor watched: its lag from the broker, and giving up past its retry budget', () => {
  const kafka = testKafka();
  const children: Child[] = [];
  const stops: (() => Promise<void>)[] = [];
  let db: Awaited<ReturnType<typeof migratedSchema>>;

  beforeAll(async () => {
    db = await migratedSchema();
  });

  afterAll(async () => {
    for (const child of children) killGroup(child);
    for (const stop of stops.reverse()) await stop();
    await db?.drop();
  });

  it('reports the lag of each partition assigned to it, measured while no batch comes, and none it lost', async () => {
    const topics = await ownInputTopics(kafka, 4);
    const outputs = await ownOutputTopics(kafka);
    const groupId = uniqueName('group');
    const names = [topics.transactions, topics.clientEvents];
    // History first: the lag is there before the processor reads a record.
    await produceEvents(
      kafka,
      topics,
      Array.from({ length: 40 }, (_, i) =>
        purchase({ clientId: `c-${i}`, time: '2026-11-02T10:00:00+02:00' }),
      ),
    );
    const rules = await startDefaultRuleFeed(db.pool);
    const processor = await startProcessor({
      kafka,
      db: db.pool,
      rules,
      zone: 'Europe/Kyiv',
      actorIdleMs: 60_000,
      groupId,
      topics,
      outputs,
      lagIntervalMs: 300,
    });
    stops.push(async () => {
      rules.stop();
      await processor.stop();
    });
    const all = await eventually(
      () => reportedLag(names),
      (lag) => lag.size === 8,
      30_000,
    );
    expect([...all.keys()].sort()).toEqual([...processor.assigned()].sort());
    // Read, and committed to the broker: no lag left anywhere.
    await eventually(
      () => reportedLag(names),
      (lag) => lag.size === 8 && [...lag.values()].every((value) => value === 0),
      30_000,
    );

    // A second processor of the group, in a process of its own, takes partitions over: this one reports only
    // those it keeps.
    children.push(
      await startChild(
        'processor-child.ts',
        processorChildEnv({ schema: db.schema, groupId, topics, outputs }),
      ),
    );
    const kept = await eventually(
      async () => ({ assigned: processor.assigned(), lag: await reportedLag(names) }),
      ({ assigned, lag }) =>
        assigned.size > 0 &&
        assigned.size < 8 &&
        [...lag.keys()].sort().join() === [...assigned].sort().join(),
      60_000,
    );
    expect(kept.lag.size).toBe(kept.assigned.size);
  });

  it('gives up on a batch failing past its retry budget, and says so, to be restarted clean', async () => {
    const topics = await ownInputTopics(kafka, 1);
    const url = new URL(inject('databaseUrl'));
    const proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port) });
    url.port = String(proxy.port);
    const proxied = createPool(url.toString(), db.schema);
    const rules = await startDefaultRuleFeed(db.pool);
    const failures: Error[] = [];
    const processor = await startProcessor({
      kafka,
      db: proxied,
      rules,
      zone: 'Europe/Kyiv',
      actorIdleMs: 60_000,
      groupId: uniqueName('group'),
      topics,
      outputs: await ownOutputTopics(kafka),
      retryBudgetMs: 2_000,
      onFailure: (error) => failures.push(error),
    });
    stops.push(async () => {
      rules.stop();
      await processor.stop();
      await proxy.close();
      await proxied.end();
    });
    await eventually(
      () => Promise.resolve(processor.assigned().size),
      (assigned) => assigned > 0,
      30_000,
    );
    await proxy.cut();
    await produceEvents(kafka, topics, [purchase({ clientId: 'c-1', time: '2026-11-02T10:00:00+02:00' })]);
    const [failure] = await eventually(
      () => Promise.resolve(failures),
      (found) => found.length > 0,
      60_000,
    );
    expect(failure).toBeInstanceOf(RetryBudgetSpent);
    expect((failure as RetryBudgetSpent).failingForMs).toBeGreaterThan(2_000);
  });
});
