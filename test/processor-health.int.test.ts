import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startProcessor } from '../actors/processor.js';
import { logTo } from '../platform/logger.js';
import { registry } from '../platform/metrics.js';
import { createPool } from '../platform/postgres.js';
import { RetryBudgetSpent } from '../platform/retry.js';
import { startDefaultRuleFeed } from '../platform/rule-feed.js';
import { TOPICS } from '../platform/topics.js';
import { killGroup, startRole, type Child } from '../scripts/children.js';
import { eventually, ownInputTopics, ownOutputTopics, produceEvents } from './support/engine.js';
import { purchase } from './support/events.js';
import { ownEngine } from './support/roles.js';
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

  /** A processor of `engine`'s group in this process, measuring its lag every `lagIntervalMs`; stopped after all. */
  async function startWatched(
    engine: Awaited<ReturnType<typeof ownEngine>>,
    topics: Parameters<typeof startProcessor>[0]['topics'],
    lagIntervalMs: number,
  ) {
    const rules = await startDefaultRuleFeed(db.pool);
    const processor = await startProcessor({
      kafka,
      db: db.pool,
      rules,
      zone: 'Europe/Kyiv',
      actorIdleMs: 60_000,
      checkpoints: { intervalMs: 250, events: 10_000 },
      groupId: engine.groups.processors,
      topics,
      outputs: engine.outputs,
      deadLetterTopic: engine.topics.deadLetters,
      lagIntervalMs,
    });
    stops.push(async () => {
      rules.stop();
      await processor.stop();
    });
    return processor;
  }

  it('reports the lag of each partition assigned to it, measured while no batch comes, and none it lost', async () => {
    // The engine a second processor, `main.ts processor` in a process of its own, joins below.
    const engine = await ownEngine(kafka, db.schema, 4);
    const topics = { ...engine.inputs, redrive: engine.topics.redrive };
    const names = [topics.transactions, topics.clientEvents];
    /** What the processor was assigned of the two input topics (it also reads the redrive topic). */
    const assignedInputs = () =>
      [...processor.assigned()].filter((key) => names.some((name) => key.startsWith(`${name}:`))).sort();
    // History first: the lag is there before the processor reads a record.
    await produceEvents(
      kafka,
      topics,
      Array.from({ length: 40 }, (_, i) =>
        purchase({ clientId: `c-${i}`, time: '2026-11-02T10:00:00+02:00' }),
      ),
    );
    const processor = await startWatched(engine, topics, 300);
    const all = await eventually(
      () => reportedLag(names),
      (lag) => lag.size === 8,
      30_000,
    );
    expect([...all.keys()].sort()).toEqual(assignedInputs());
    // Read, and committed to the broker: no lag left anywhere.
    await eventually(
      () => reportedLag(names),
      (lag) => lag.size === 8 && [...lag.values()].every((value) => value === 0),
      30_000,
    );

    // A second processor of the group, in a process of its own, takes partitions over: this one reports only
    // those it keeps.
    children.push(await startRole('processor', engine.env));
    const kept = await eventually(
      async () => ({ assigned: assignedInputs(), lag: await reportedLag(names) }),
      ({ assigned, lag }) =>
        assigned.length > 0 && assigned.length < 8 && [...lag.keys()].sort().join() === assigned.join(),
      60_000,
    );
    expect(kept.lag.size).toBe(kept.assigned.length);
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
      checkpoints: { intervalMs: 250, events: 10_000 },
      groupId: uniqueName('group'),
      topics,
      outputs: await ownOutputTopics(kafka),
      deadLetterTopic: TOPICS.deadLetters,
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

  it('measures its lag while its outbox publishes unlocks, whose passes read the unlock topic', async () => {
    const said: string[] = [];
    logTo({ write: (line: string) => void said.push((JSON.parse(line) as { msg: string }).msg) }, 'warn');
    const engine = await ownEngine(kafka, db.schema, 4);
    await startWatched(engine, engine.inputs, 20);
    // Each new client's first purchase unlocks first-purchase: the outbox publishes while the lag is measured.
    const clientIds: string[] = [];
    for (let wave = 0; wave < 20; wave++) {
      const wanted = Array.from({ length: 20 }, () => uniqueName('lag'));
      clientIds.push(...wanted);
      await produceEvents(
        kafka,
        engine.inputs,
        wanted.map((clientId) => purchase({ clientId, time: '2026-11-02T10:00:00+02:00' })),
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await eventually(
      async () => {
        const published = await db.pool.query<{ n: string }>(
          `SELECT count(*) AS n FROM achievement_unlocks
            WHERE client_id = ANY($1) AND NOT EXISTS (SELECT 1 FROM outbox WHERE key = ANY($1))`,
          [clientIds],
        );
        return Number(published.rows[0]!.n);
      },
      (published) => published === clientIds.length,
      60_000,
    );
    expect(said.filter((msg) => msg === 'consumer lag not measured')).toEqual([]);
  }, 120_000);
});

describe('main.ts processor past its retry budget', () => {
  const kafka = testKafka();
  let db: Awaited<ReturnType<typeof migratedSchema>>;
  let proxy: Awaited<ReturnType<typeof startTcpProxy>> | undefined;

  beforeAll(async () => {
    db = await migratedSchema();
  });

  afterAll(async () => {
    await proxy?.close();
    await db?.drop();
  });

  it('ends non-zero after an orderly shutdown, saying why, for the orchestrator to restart it clean', async () => {
    const engine = await ownEngine(kafka, db.schema, 1);
    const url = new URL(inject('databaseUrl'));
    proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port) });
    url.port = String(proxy.port);
    const lines: { msg?: string; part?: string; level?: number }[] = [];
    const child = await startRole(
      'processor',
      { ...engine.env, DATABASE_URL: url.toString(), DEPENDENCY_RETRY_BUDGET: '2s', LOG_LEVEL: 'info' },
      { onLine: (line) => lines.push(JSON.parse(line) as (typeof lines)[number]) },
    );
    const exited = new Promise<number | null>((resolve) => child.process.once('exit', resolve));
    await proxy.cut();
    await produceEvents(kafka, engine.inputs, [
      purchase({ clientId: uniqueName('c'), time: '2026-11-02T10:00:00+02:00' }),
    ]);
    expect(await exited).toBe(1);
    const said = lines.map(({ msg, part }) => `${msg}${part ? ` (${part})` : ''}`);
    expect(said).toContain('failed for good; stopping, to be restarted (processor)');
    // Every part stopped cleanly, the processor leaving its group: no member is left for the broker to wait
    // out (a process killed would stay a member until its session timed out).
    expect(said).toEqual(expect.arrayContaining(['stopped (processor)', 'stopped (metrics server)']));
    const admin = kafka.admin();
    await admin.connect();
    const [group] = (await admin.describeGroups([engine.groups.processors])).groups;
    await admin.disconnect();
    expect(group).toMatchObject({ state: 'Empty', members: [] });
  }, 120_000);
});
