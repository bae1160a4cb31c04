import { Client, Connection } from '@temporalio/client';
import { Partitioners } from 'kafkajs';
import type { Catalog } from '../rules/catalog.js';
import { DEFAULT_PARTNER_LIMITS, type Config, type PartnerLimits } from '../platform/config.js';
import { findLevel, type RuleFeed } from '../platform/rule-feed.js';
import { createKafka } from '../platform/kafka.js';
import { createPool } from '../platform/postgres.js';
import { createActivities } from './activities.js';
import { ensureExpirySchedule } from './expiry-schedule.js';
import { createPartnerActivities } from './partner-activities.js';
import { startRewardStarter } from './reward-starter.js';
import { startWorker } from './worker.js';

export interface TemporalTarget {
  address: string;
  namespace: string;
  taskQueue: string;
}

/** Every partner the catalog names or the configuration sets, with its bounds (defaults when unset). */
function partnersToServe(config: Config, catalog: Catalog): PartnerLimits[] {
  const named = [...catalog.achievements.values()].flatMap(({ level }) =>
    level.partner ? [level.partner] : [],
  );
  const ids = new Set([...named, ...config.partners.keys()]);
  return [...ids].map((id) => config.partners.get(id) ?? { id, ...DEFAULT_PARTNER_LIMITS });
}

/**
 * The worker role: the Temporal worker with the reward activities, the starter that turns unlock records
 * into reward workflows, and the points-expiry schedule. The returned function stops them in order.
 */
export async function startWorkerRole(
  config: Config,
  rules: RuleFeed,
  temporal: TemporalTarget,
): Promise<() => Promise<void>> {
  const catalog = () => rules.book().everLive();
  const db = createPool(config.DATABASE_URL);
  const kafka = createKafka('achievements-worker');
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const activities = createActivities({
    db,
    producer,
    catalog,
    pointsExpiryMs: config.POINTS_EXPIRY,
    tiers: config.LOYALTY_TIERS,
  });
  const partnerActivities = createPartnerActivities({
    partners: config.partners,
    pseudonymKey: config.PARTNER_PSEUDONYM_KEY,
    publicBaseUrl: config.PUBLIC_BASE_URL,
  });
  const stopWorker = await startWorker({
    ...temporal,
    activities,
    partnerActivities,
    partners: partnersToServe(config, catalog()),
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
    level: (unlock) => findLevel(rules, unlock),
    callbackTimeoutMs: config.PARTNER_CALLBACK_TIMEOUT,
    partnerRetryMs: config.PARTNER_RETRY_WINDOW,
  });
  return async () => {
    await stopStarter();
    await stopWorker();
    await connection.close();
    await producer.disconnect();
    await db.end();
  };
}
