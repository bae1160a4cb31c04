import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { Partitioners, type Kafka } from 'kafkajs';
import type pg from 'pg';
import { loadCatalog } from '../../platform/catalog-files.js';
import { unlockedMessage } from '../../platform/unlock-records.js';
import { DEFAULT_PARTNER_LIMITS } from '../../platform/partner-config.js';
import { createActivities } from '../../workflows/activities.js';
import { buildWorkflowBundle } from '../../workflows/bundle.js';
import { createPartnerActivities } from '../../workflows/partner-activities.js';
import { startRewardStarter } from '../../workflows/reward-starter.js';
import { startWorker } from '../../workflows/worker.js';
import { createTopics } from '../../platform/topic-creation.js';
import { TOPICS } from '../../platform/topics.js';

export interface RewardsResult {
  started: number;
  granted: number;
  perSecond: number;
  p50: number;
  p99: number;
  /** Half the burst with a partner: seconds until every unlock's points are in the ledger, and a latecomer's. */
  withPartner: { up: BurstResult; down: BurstResult };
}

export interface BurstResult {
  allGrantedS: number;
  granted: number;
  latecomerMs: number;
}

const LATENCY_SAMPLES = 100;
const LATENCY_RATE = 20;
const catalog = loadCatalog();

function unlockRecord(clientId: string, achievementId = 'first-purchase') {
  const points = catalog.achievements.get(achievementId)!.level.points;
  const unlock = {
    type: 'AchievementUnlocked' as const,
    clientId,
    achievementId,
    ruleId: achievementId,
    ruleVersion: 1,
    points,
    partnerId: undefined,
    unlockedAt: new Date().toISOString(),
    sourceEventId: `${clientId}-tx`,
  };
  return { key: clientId, value: JSON.stringify(unlockedMessage(unlock)), timestamp: String(Date.now()) };
}

/** A partner that takes every request at once (202); its callbacks do not matter to points. */
async function partnerUp() {
  const server = createHttpServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(202).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

/** A partner that accepts connections and never answers: every request waits out its timeout. */
async function partnerDown() {
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * Reward workflows on the local dev server, wired as the worker role wires them (prebuilt bundle, a bounded
 * worker per partner), from unlock records through the starter to points in the ledger.
 */
export async function measureRewards(
  kafka: Kafka,
  db: pg.Pool,
  temporalAddress: string,
  count: number,
  runId: string,
): Promise<RewardsResult> {
  await buildWorkflowBundle();
  const client = new Client({ connection: await Connection.connect({ address: temporalAddress }) });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const grantedAt = async (prefix: string) => {
    const { rows } = await db.query<{ client_id: string; ms: string }>(
      `SELECT client_id, extract(epoch FROM occurred_at) * 1000 AS ms FROM loyalty_ledger WHERE client_id LIKE $1`,
      [`${prefix}%`],
    );
    return new Map(rows.map((row) => [row.client_id, Number(row.ms)]));
  };
  const waitForGrants = async (prefix: string, expected: number) => {
    const deadline = Date.now() + 10 * 60_000;
    while ((await grantedAt(prefix)).size < expected && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    return grantedAt(prefix);
  };

  /** Workers and a starter of their own (own task queue and unlock topic), with the partner at `partnerUrl`. */
  async function phase<T>(name: string, partnerUrl: string, work: (topic: string) => Promise<T>): Promise<T> {
    const topic = `bench.${runId}.${name}.unlocked`;
    await createTopics(kafka, [{ topic, numPartitions: 6 }]);
    const taskQueue = `bench-rewards-${runId}-${name}`;
    const coffeeHouse = {
      id: 'coffee-house',
      url: partnerUrl,
      secret: 'bench-secret',
      ...DEFAULT_PARTNER_LIMITS,
    };
    const stopWorker = await startWorker({
      address: temporalAddress,
      namespace: 'default',
      taskQueue,
      activities: createActivities({
        db,
        producer,
        catalog: () => catalog,
        pointsExpiryMs: 365 * 86_400_000,
        tiers: { silver: 1000, gold: 3000 },
        pushTopic: TOPICS.notifications,
      }),
      partnerActivities: createPartnerActivities({
        partners: new Map([['coffee-house', coffeeHouse]]),
        pseudonymKey: 'bench-pseudonym-key-of-at-least-32-chars',
        publicBaseUrl: 'http://127.0.0.1:8080',
      }),
      partners: [coffeeHouse],
      prebuilt: true,
    });
    const stopStarter = await startRewardStarter({
      kafka,
      db,
      temporal: client,
      taskQueue,
      level: ({ achievementId }) => Promise.resolve(catalog.achievements.get(achievementId)?.level),
      callbackTimeoutMs: 60_000,
      partnerRetryMs: 3_600_000,
      groupId: `bench-starter-${runId}-${name}`,
      topic,
      deadLetterTopic: TOPICS.deadLetters,
    });
    try {
      return await work(topic);
    } finally {
      await stopStarter();
      // Rewards still asking the partner are ended, so the next phase and the next run start clean.
      for await (const workflow of client.workflow.list({
        query: `TaskQueue = "${taskQueue}" AND ExecutionStatus = "Running"`,
      })) {
        await client.workflow
          .getHandle(workflow.workflowId)
          .terminate('benchmark phase over')
          .catch((error: unknown) => {
            // The list lags behind: a workflow may have finished since.
            if (!(error instanceof WorkflowNotFoundError)) throw error;
          });
      }
      await stopWorker();
    }
  }

  /** Half coffee-lover (with the partner), half first-purchase; then one more points-only unlock. */
  const burstWithPartner =
    (name: string) =>
    async (topic: string): Promise<BurstResult> => {
      const prefix = `rw-${runId}-${name}-`;
      const started = performance.now();
      await producer.send({
        topic,
        messages: Array.from({ length: count }, (_, i) =>
          unlockRecord(`${prefix}${i}`, i % 2 === 0 ? 'coffee-lover' : 'first-purchase'),
        ),
      });
      const latecomer = `rw-${runId}-${name}late-0`;
      const late = unlockRecord(latecomer);
      await producer.send({ topic, messages: [late] });
      const grants = await waitForGrants(prefix, count);
      const allGrantedS = (performance.now() - started) / 1000;
      const lateGrant = (await waitForGrants(latecomer, 1)).get(latecomer);
      return {
        allGrantedS,
        granted: grants.size,
        latecomerMs: Math.round((lateGrant ?? NaN) - Number(late.timestamp)),
      };
    };

  const up = await partnerUp();
  const down = await partnerDown();
  try {
    const burst = await phase('burst', up.url, async (topic) => {
      // A burst: how many reward workflows per second the dev server and one worker complete.
      const prefix = `rw-${runId}-burst-`;
      const started = performance.now();
      await producer.send({
        topic,
        messages: Array.from({ length: count }, (_, i) => unlockRecord(`${prefix}${i}`)),
      });
      const grants = await waitForGrants(prefix, count);
      const perSecond = grants.size / ((performance.now() - started) / 1000);

      // A steady trickle: how long from an unlock record to its points in the ledger, without a queue.
      const steady = `rw-${runId}-steady-`;
      const sentAt = new Map<string, number>();
      for (let i = 0; i < LATENCY_SAMPLES; i++) {
        const record = unlockRecord(`${steady}${i}`);
        sentAt.set(record.key, Number(record.timestamp));
        await producer.send({ topic, messages: [record] });
        await new Promise((resolve) => setTimeout(resolve, 1000 / LATENCY_RATE));
      }
      const latencies = [...(await waitForGrants(steady, LATENCY_SAMPLES))]
        .map(([clientId, ms]) => ms - sentAt.get(clientId)!)
        .sort((a, b) => a - b);
      const pick = (p: number) =>
        Math.round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN);
      return { granted: grants.size, perSecond, p50: pick(0.5), p99: pick(0.99) };
    });
    const withUp = await phase('up', up.url, burstWithPartner('up'));
    const withDown = await phase('down', down.url, burstWithPartner('down'));
    return { started: count, ...burst, withPartner: { up: withUp, down: withDown } };
  } finally {
    await producer.disconnect();
    await Promise.all([up.close(), down.close()]);
    await client.connection.close();
  }
}
