import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { inject } from 'vitest';
import { createApp } from '../../api/app.js';
import { rewardDelivery } from '../../api/reward-delivery.js';
import { postgresRuleAdmin } from '../../api/rule-admin-store.js';
import { DEFAULT_PARTNER_LIMITS } from '../../platform/config.js';
import { checkHealth, dependencyProbes } from '../../platform/health.js';
import { killGroup, startChild, type Child } from '../../scripts/children.js';
import { apiDependencies } from './api.js';
import { ownInputTopics, ownOutputTopics } from './engine.js';
import { startFakePartner } from './partner.js';
import { ownTaskQueues, replayDependencies, replayWorkerEnv, temporalClient, TEST_RUN } from './replays.js';
import { migratedSchema, testKafka, uniqueName } from './stack.js';

/** Short chunks of few records: a backfill checkpoints often, so a kill lands in the middle of one. */
const BACKFILL_RUN = { ...TEST_RUN, chunkRecords: 150 };

const PARTNER_SECRET = 'coffee-house-fault-suite-secret';

/** Long enough that a partner down for minutes is asked again until it answers, never `failed`. */
const PARTNER_RETRY_MS = 15 * 60_000;

/**
 * The whole engine on a test's own schema, topics, consumer group and task queues, each role as a deployment
 * runs it: two processors and a worker (reward starter, reward and partner workers, replays) in processes of
 * their own that a fault can kill, the API here (partner callbacks, /health with its real probes, rule
 * administration), and the coffee-house partner fulfilling every request with a voucher.
 */
export async function startFaultSystem() {
  const kafka = testKafka();
  const db = await migratedSchema();
  const inputs = await ownInputTopics(kafka, 3);
  const outputs = await ownOutputTopics(kafka);
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
  const app = createApp(
    apiDependencies({
      checkHealth: () => checkHealth(probes),
      partnerCallbacks: rewardDelivery(db.pool, temporal.client, partners),
      rules: postgresRuleAdmin(db.pool, { zone: 'Europe/Kyiv', configuredPartners: () => partners.keys() }),
      replays: replayDependencies(db.pool, temporal.client, {
        taskQueue: queues.replays,
        topics: inputs,
        groupId,
        run: BACKFILL_RUN,
      }),
    }),
  );
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
  // The processors seed the default rules the worker's rule feed reads.
  await startProcessor();
  await Promise.all([startProcessor(), startWorker()]);

  const alive = (children: Child[]) =>
    children.filter((child) => child.process.exitCode === null && child.process.signalCode === null);
  return {
    kafka,
    db,
    inputs,
    outputs,
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
      await partner.close();
      await temporal.close();
      await db.drop();
    },
  };
}

export type FaultSystem = Awaited<ReturnType<typeof startFaultSystem>>;
