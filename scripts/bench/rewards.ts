import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { Partitioners, type Kafka } from 'kafkajs';
import type pg from 'pg';
import { loadCatalog } from '../../actors/rules/catalog.js';
import { unlockedMessage } from '../../actors/unlock-messages.js';
import { createActivities } from '../../workflows/activities.js';
import { buildWorkflowBundle } from '../../workflows/bundle.js';
import { startRewardStarter } from '../../workflows/reward-starter.js';
import { installTemporalRuntime } from '../../workflows/runtime.js';

export interface RewardsResult {
  started: number;
  granted: number;
  perSecond: number;
  p50: number;
  p99: number;
}

const LATENCY_SAMPLES = 100;
const LATENCY_RATE = 20;

function unlockRecord(clientId: string) {
  const unlock = {
    type: 'AchievementUnlocked' as const,
    clientId,
    achievementId: 'first-purchase',
    ruleId: 'first-purchase',
    points: 50,
    partnerId: undefined,
    unlockedAt: new Date().toISOString(),
    sourceEventId: `${clientId}-tx`,
  };
  return { key: clientId, value: JSON.stringify(unlockedMessage(unlock)), timestamp: String(Date.now()) };
}

/**
 * Reward workflows on the local dev server, from unlock records through the starter to points in the ledger:
 * a burst of `count` unlocks measures workflows per second (and that none is lost); then a steady 20 unlocks
 * per second measure unlock → points-visible latency (ledger insert time minus the record's send time).
 */
export async function measureRewards(
  kafka: Kafka,
  db: pg.Pool,
  temporalAddress: string,
  count: number,
  runId: string,
): Promise<RewardsResult> {
  installTemporalRuntime();
  const topic = `bench.${runId}.unlocked`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 6 }] });
  await admin.disconnect();

  const taskQueue = `bench-rewards-${runId}`;
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const activities = createActivities({
    db,
    producer,
    catalog: loadCatalog(),
    partners: new Map(),
    pseudonymKey: 'bench-pseudonym-key-of-at-least-32-chars',
    publicBaseUrl: 'http://127.0.0.1:8080',
    pointsExpiryMs: 365 * 86_400_000,
    tiers: { silver: 1000, gold: 3000 },
  });
  const worker = await Worker.create({
    connection: await NativeConnection.connect({ address: temporalAddress }),
    taskQueue,
    workflowBundle: { codePath: await buildWorkflowBundle(`/tmp/bench-workflows-${runId}.js`) },
    activities,
    maxConcurrentActivityTaskExecutions: 200,
    maxConcurrentWorkflowTaskExecutions: 200,
  });
  const client = new Client({ connection: await Connection.connect({ address: temporalAddress }) });
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

  return worker.runUntil(async () => {
    const stopStarter = await startRewardStarter({
      kafka,
      db,
      temporal: client,
      taskQueue,
      catalog: loadCatalog(),
      callbackTimeoutMs: 60_000,
      groupId: `bench-starter-${runId}`,
      topic,
    });
    // A burst: how many reward workflows per second the dev server and one worker complete.
    const burst = `rw-${runId}-burst-`;
    const started = performance.now();
    await producer.send({
      topic,
      messages: Array.from({ length: count }, (_, i) => unlockRecord(`${burst}${i}`)),
    });
    const burstGrants = await waitForGrants(burst, count);
    const perSecond = burstGrants.size / ((performance.now() - started) / 1000);

    // A steady trickle: how long from an unlock record to its points in the ledger, without a queue.
    const steady = `rw-${runId}-steady-`;
    const sentAt = new Map<string, number>();
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      const record = unlockRecord(`${steady}${i}`);
      sentAt.set(record.key, Number(record.timestamp));
      await producer.send({ topic, messages: [record] });
      await new Promise((resolve) => setTimeout(resolve, 1000 / LATENCY_RATE));
    }
    const steadyGrants = await waitForGrants(steady, LATENCY_SAMPLES);
    await stopStarter();
    await producer.disconnect();
    const latencies = [...steadyGrants]
      .map(([clientId, ms]) => ms - sentAt.get(clientId)!)
      .sort((a, b) => a - b);
    const pick = (p: number) =>
      Math.round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN);
    return { started: count, granted: burstGrants.size, perSecond, p50: pick(0.5), p99: pick(0.99) };
  });
}
