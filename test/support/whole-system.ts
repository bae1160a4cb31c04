import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { inject } from 'vitest';
import { createApp, type ApiDependencies } from '../../api/app.js';
import { postgresAdminReads } from '../../api/admin-reads.js';
import { kafkaHistory } from '../../api/client-history.js';
import { cachedAchievements } from '../../api/client-cache.js';
import { postgresReads } from '../../api/client-reads.js';
import { postgresDeadLetters } from '../../api/dead-letter-store.js';
import { rewardDelivery } from '../../api/reward-delivery.js';
import { postgresRuleAdmin } from '../../api/rule-admin-store.js';
import { DEFAULT_PARTNER_LIMITS } from '../../platform/config.js';
import { loadContext } from '../../platform/engine-state.js';
import { checkHealth, dependencyProbes } from '../../platform/health.js';
import { lazyProducer } from '../../platform/kafka.js';
import { startRuleFeed } from '../../platform/rule-feed.js';
import { createTopics } from '../../platform/topic-creation.js';
import { killGroup, startChild, type Child } from '../../scripts/children.js';
import { apiDependencies } from './api.js';
import { ownInputTopics, ownOutputTopics } from './engine.js';
import { startFakePartner } from './partner.js';
import { ownTaskQueues, replayDependencies, replayWorkerEnv, temporalClient, TEST_RUN } from './replays.js';
import { migratedSchema, testKafka, uniqueName } from './stack.js';

/**
 * Short chunks: a backfill checkpoints often, so a kill lands in the middle of one. Not shorter: the replay
 * must outrun the steady load it chases to live processing, and on a busy CI machine chunks of 150 records
 * (a checkpoint each) replayed barely faster than the load wrote (the fault suite's backfill took 88 to 272 s,
 * once over its 240 s bound).
 */
const BACKFILL_RUN = { ...TEST_RUN, chunkRecords: 500 };

const PARTNER_SECRET = 'coffee-house-fault-suite-secret';

/** Long enough that a partner down for minutes is asked again until it answers, never `failed`. */
const PARTNER_RETRY_MS = 15 * 60_000;

/**
 * The whole engine on a test's own schema, topics, consumer group and task queues, each role as a deployment
 * runs it: two processors and a worker (reward starter, reward and partner workers, replays) in processes of
 * their own that a fault can kill, the API here with every part real (partner callbacks, /health with its real
 * probes, rule administration with a rule feed of its own, operations reads, explain from Kafka, the DLQ and
 * its redrive topic, the console), and the coffee-house partner fulfilling every request with a voucher.
 * `api` overrides parts of the API (a test's own token lifetime).
 */
export async function startWholeSystem(api: Partial<ApiDependencies> = {}) {
  const kafka = testKafka();
  const db = await migratedSchema();
  const inputs = await ownInputTopics(kafka, 3);
  const outputs = await ownOutputTopics(kafka);
  const redrive = uniqueName('redrive');
  await createTopics(kafka, [{ topic: redrive, numPartitions: 3 }]);
  const queues = ownTaskQueues();
  const groupId = uniqueName('group');
  const temporal = await temporalClient();
  const partner = await startFakePartner(PARTNER_SECRET, { kind: 'fulfil', voucherCode: 'FAULT-VOUCHER' });
  const partners = new Map([
    [
      'coffee-house',
      { id: 'coffee-house', url: partner.url, secret: PARTNER_SECRET, ...DEFAULT_PARTNER_LIMITS },
    ],
  ]);
  const probes = dependencyProbes({ kafka, pool: db.pool, temporal: temporal.connection });
  const redriveProducer = lazyProducer(kafka);
  // The processors seed the default rules this feed reads; until then it holds none.
  const feed: { rules?: Awaited<ReturnType<typeof startRuleFeed>> } = {};
  const everLive = () => feed.rules!.book().everLive();
  const base = apiDependencies();
  const reads = postgresReads(db.pool, everLive);
  // The app's reads go through the cache the API role keeps, invalidated by PostgreSQL's announcements.
  const cached = cachedAchievements(db.pool, reads, 1_000);
  const operations = postgresAdminReads(db.pool, everLive, 'Europe/Kyiv');
  const app = createApp({
    ...base,
    checkHealth: () => checkHealth(probes),
    partnerCallbacks: rewardDelivery(db.pool, temporal.client, partners),
    me: {
      ...base.me,
      catalogs: () => ({ live: feed.rules!.book().active(), everLive: everLive() }),
      reads: cached.reads,
    },
    admin: operations,
    explain: {
      ...reads,
      contextOf: (clientId) => loadContext(db.pool, clientId),
      historyOf: kafkaHistory(kafka, {
        transaction: inputs.transactions,
        'client-event': inputs.clientEvents,
      }),
      zone: 'Europe/Kyiv',
    },
    rules: postgresRuleAdmin(db.pool, { zone: 'Europe/Kyiv', configuredPartners: () => partners.keys() }),
    replays: replayDependencies(db.pool, temporal.client, {
      taskQueue: queues.replays,
      topics: inputs,
      groupId,
      run: BACKFILL_RUN,
    }),
    deadLetters: postgresDeadLetters(db.pool, redriveProducer.get, {
      inputs: [inputs.transactions, inputs.clientEvents],
      redrive,
    }),
    ...api,
  });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const listening = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(listening));
  });
  const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const processorEnv = {
    CHILD_BROKERS: inject('kafkaBrokers').join(','),
    CHILD_DATABASE_URL: inject('databaseUrl'),
    CHILD_SCHEMA: db.schema,
    CHILD_GROUP: groupId,
    CHILD_TX_TOPIC: inputs.transactions,
    CHILD_EVENTS_TOPIC: inputs.clientEvents,
    CHILD_REDRIVE_TOPIC: redrive,
    CHILD_UNLOCKED_TOPIC: outputs.unlocked,
    CHILD_PUSH_TOPIC: outputs.notifications,
  };
  const workerEnv = {
    ...replayWorkerEnv({ schema: db.schema, queues, outputs }),
    CHILD_PARTNER_URL: partner.url,
    CHILD_PARTNER_SECRET: PARTNER_SECRET,
    CHILD_PUBLIC_BASE_URL: apiUrl,
    CHILD_PARTNER_RETRY_MS: String(PARTNER_RETRY_MS),
    CHILD_STARTER_GROUP: uniqueName('starter'),
  };
  const processors: Child[] = [];
  const workers: Child[] = [];
  const startProcessor = async () => {
    const child = await startChild('processor-child.ts', processorEnv);
    processors.push(child);
    return child;
  };
  const startWorker = async () => {
    const child = await startChild('replay-worker-child.ts', workerEnv);
    workers.push(child);
    return child;
  };
  // The processors seed the default rules the worker's rule feed (and the API's) reads.
  await startProcessor();
  await Promise.all([startProcessor(), startWorker()]);
  feed.rules = await startRuleFeed(db.pool);

  const alive = (children: Child[]) =>
    children.filter((child) => child.process.exitCode === null && child.process.signalCode === null);
  return {
    kafka,
    db,
    inputs,
    outputs,
    redrive,
    queues,
    temporal: temporal.client,
    partner,
    apiUrl,
    app,
    startProcessor,
    startWorker,
    /** The processor and worker processes running now. */
    processors: () => alive(processors),
    workers: () => alive(workers),
    /** What every child process ever started here has done: none may have exited by itself. */
    exitedByThemselves: () =>
      [...processors, ...workers].filter((child) => child.process.exitCode !== null).length,
    health: async () =>
      (await (await fetch(`${apiUrl}/health`)).json()) as {
        status: string;
        dependencies: Record<string, { status: string }>;
      },
    stop: async () => {
      for (const child of [...processors, ...workers]) killGroup(child);
      server.close();
      feed.rules?.stop();
      await cached.stop();
      await redriveProducer.disconnect();
      await partner.close();
      await temporal.close();
      await db.drop();
    },
  };
}

export type WholeSystem = Awaited<ReturnType<typeof startWholeSystem>>;
