import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { postgresAdminReads } from '../api/admin-reads.js';
import { createApp } from '../api/app.js';
import { kafkaHistory } from '../api/client-history.js';
import { postgresRuleAdmin } from '../api/rule-admin-store.js';
import { temporalReplays } from '../api/replay-starter.js';
import { postgresReplays } from '../api/replay-store.js';
import { postgresReads } from '../api/client-reads.js';
import { rewardDelivery } from '../api/reward-delivery.js';
import { checkHealth, dependencyProbes } from '../platform/health.js';
import { TEST_JWT_SECRET } from './support/api.js';
import { catalog, ownInputTopics } from './support/engine.js';
import { loadContext } from '../platform/engine-state.js';
import { clientErasure } from '../api/client-erasure.js';
import { ensureSchemathesis, runSchemathesis } from './support/schemathesis.js';
import { migratedSchema, testKafka, uniqueName } from './support/stack.js';
import { token } from './support/tokens.js';
import { postgresDeadLetters } from '../api/dead-letter-store.js';
import { postgresProposals } from '../api/proposal-store.js';
import { lazyProducer } from '../platform/kafka.js';

const PARTNER_SECRET = 'coffee-house-fuzz-secret';
const SEED = Number(process.env.FUZZ_SEED ?? 20261125);
const MAX_EXAMPLES = Number(process.env.HTTP_FUZZ_EXAMPLES ?? 40);
/** Far above what the fuzzer sends in a minute: the limits themselves are tested elsewhere, the routes here. */
const GENEROUS = { limit: 100_000, windowMs: 60_000 };

describe('the HTTP API under schemathesis, generated from /openapi.json', () => {
  let apiUrl: string;
  const stops: (() => unknown)[] = [];

  beforeAll(async () => {
    const installing = ensureSchemathesis();
    const kafka = testKafka();
    const db = await migratedSchema();
    stops.push(() => db.drop());
    const topics = await ownInputTopics(kafka, 1);
    const connection = await Connection.connect({ address: inject('temporalAddress') });
    stops.push(() => connection.close());
    const reads = postgresReads(db.pool, () => catalog);
    const admin = postgresAdminReads(db.pool, () => catalog, 'Europe/Kyiv');
    const redriveProducer = lazyProducer(kafka);
    stops.push(() => redriveProducer.disconnect());
    const app = createApp({
      checkHealth: () => checkHealth(dependencyProbes({ kafka, pool: db.pool, temporal: connection })),
      partnerCallbacks: rewardDelivery(
        db.pool,
        new Client({ connection }),
        new Map([
          ['coffee-house', { id: 'coffee-house', url: 'http://127.0.0.1:1', secret: PARTNER_SECRET }],
        ]),
      ),
      auth: { secret: TEST_JWT_SECRET, maxLifetimeS: 300 },
      me: { catalogs: () => ({ live: catalog, everLive: catalog }), zone: 'Europe/Kyiv', reads },
      admin,
      approvals: { mode: 'four-eyes', proposalTtlMs: 3_600_000 },
      proposals: postgresProposals(db.pool),
      // Fuzzed ids name no dead letter, so nothing is ever sent to this topic.
      deadLetters: postgresDeadLetters(db.pool, redriveProducer.get, {
        inputs: [topics.transactions, topics.clientEvents],
        redrive: `${topics.transactions}-redrive`,
      }),
      privacy: {
        db: db.pool,
        erasure: clientErasure(db.pool, new Client({ connection }), `${topics.transactions}-erasures`),
        audit: admin.audit,
        catalog: () => catalog,
        zone: 'Europe/Kyiv',
      },
      rules: postgresRuleAdmin(db.pool, { zone: 'Europe/Kyiv', configuredPartners: () => ['coffee-house'] }),
      // Replays the fuzzer starts wait on a task queue no worker polls: only the routes are under test here.
      replays: {
        starter: temporalReplays({
          kafka,
          temporal: new Client({ connection }),
          taskQueue: uniqueName('fuzz-replays'),
          topics,
          groupId: uniqueName('group'),
          run: { chunkMs: 1_000, maxHistoryLength: 1_000, heartbeatTimeoutMs: 10_000 },
        }),
        store: postgresReplays(db.pool),
      },
      explain: {
        ...reads,
        contextOf: (clientId) => loadContext(db.pool, clientId),
        historyOf: kafkaHistory(kafka, {
          transaction: topics.transactions,
          'client-event': topics.clientEvents,
        }),
        zone: 'Europe/Kyiv',
      },
      limits: { client: GENEROUS, operations: GENEROUS, explain: GENEROUS, failedAuth: GENEROUS },
    });
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const listening = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(listening));
    });
    stops.push(() => new Promise((resolve) => server.close(resolve)));
    apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await installing;
  }, 300_000);

  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
  });

  it.each([
    ['anyone', undefined],
    ['a client', 'client'],
    ['support', 'support'],
    ['an admin', 'admin'],
  ])(
    'answers %s without a 5xx or anything outside the documented schema',
    async (_who, role) => {
      const headers = role
        ? [
            `Authorization: Bearer ${await token({ sub: `${role}-fuzz`, role, exp: Math.floor(Date.now() / 1000) + 290 })}`,
          ]
        : [];
      const run = await runSchemathesis(apiUrl, {
        headers,
        maxExamples: MAX_EXAMPLES,
        seed: SEED,
        partnerSecret: PARTNER_SECRET,
      });
      const summary = run.output.split('\n').filter((line) => /test cases|passed|failed|Seed/i.test(line));
      console.log(`http fuzz as ${role ?? 'anyone'} (seed ${SEED}):\n${summary.join('\n')}`);
      expect(run.exitCode, run.output).toBe(0);
    },
    // About 8,000 generated requests per role: 1.5 to 5 minutes on a 2-core CI machine busy with other files.
    600_000,
  );
});
