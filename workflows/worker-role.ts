import { Client, Connection } from '@temporalio/client';
import { Partitioners } from 'kafkajs';
import type { Catalog } from '../actors/rules/catalog.js';
import type { Config } from '../platform/config.js';
import { createKafka } from '../platform/kafka.js';
import { createPool } from '../platform/postgres.js';
import { createActivities } from './activities.js';
import { ensureExpirySchedule } from './expiry-schedule.js';
import { startRewardStarter } from './reward-starter.js';
import { startWorker } from './worker.js';

export interface TemporalTarget {
  address: string;
  namespace: string;
  taskQueue: string;
}

/**
 * The worker role: the Temporal worker with the reward activities, the starter that turns unlock records
 * into reward workflows, and the points-expiry schedule. The returned function stops them in order.
 */
export async function startWorkerRole(
  config: Config,
  catalog: Catalog,
  temporal: TemporalTarget,
): Promise<() => Promise<void>> {
  const db = createPool(config.DATABASE_URL);
  const kafka = createKafka('achievements-worker');
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const activities = createActivities({
    db,
    producer,
    catalog,
    partners: config.partners,
    pseudonymKey: config.PARTNER_PSEUDONYM_KEY,
    publicBaseUrl: config.PUBLIC_BASE_URL,
    pointsExpiryMs: config.POINTS_EXPIRY,
    tiers: config.LOYALTY_TIERS,
  });
  const stopWorker = await startWorker({
    ...temporal,
    activities,
    prebuilt: config.NODE_ENV === 'production',
  });
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection, namespace: temporal.namespace });
  await ensureExpirySchedule(client, temporal.taskQueue);
  const stopStarter = await startRewardStarter({
    kafka,
    db,
    temporal: client,
    taskQueue: temporal.taskQueue,
    catalog,
    callbackTimeoutMs: config.PARTNER_CALLBACK_TIMEOUT,
  });
  return async () => {
    await stopStarter();
    await stopWorker();
    await connection.close();
    await producer.disconnect();
    await db.end();
  };
}
