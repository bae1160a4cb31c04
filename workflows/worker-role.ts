import { Client, Connection } from '@temporalio/client';
import { Partitioners } from 'kafkajs';
import type pg from 'pg';
import { logger } from '../platform/logger.js';
import { metrics } from '../platform/metrics.js';
import { partnersOf, type Catalog } from '../rules/catalog.js';
import type { Config } from '../platform/config.js';
import { DEFAULT_PARTNER_LIMITS, type PartnerLimits } from '../platform/partner-config.js';
import { findLevel, type RuleFeed, type UnlockedUnder } from '../platform/rule-feed.js';
import { consumerGroupsOf, topicsOf } from '../platform/topics.js';
import { createReplayActivities } from './replay-activities.js';
import { createKafka } from '../platform/kafka.js';
import { createPool } from '../platform/postgres.js';
import { createActivities } from './activities.js';
import { ensureExpirySchedule } from './expiry-schedule.js';
import { createPartnerActivities } from './partner-activities.js';
import type { RewardInput } from './reward-contract.js';
import { reconcileReward } from './reward-reconcile.js';
import { startRewardStarter } from './reward-starter.js';
import { startWorker } from './worker.js';
import { ReplayThreads } from './replay-threads.js';
import { startNudgeDispatcher } from '../platform/nudge-store.js';
import { kafkaSecurity, type TemporalSecurity } from '../platform/connection-security.js';
import { postgresProbe, temporalProbe, type HealthProbe } from '../platform/health.js';

export interface TemporalTarget {
  address: string;
  security?: TemporalSecurity;
  namespace: string;
  taskQueue: string;
  /** The task queues of dry runs and backfills, and of the rewards backfills start. */
  replayTaskQueue: string;
  backfillRewardTaskQueue: string;
}

/** Every partner the catalog names or the configuration sets, with its bounds (defaults when unset). */
function partnersToServe(config: Config, catalog: Catalog): PartnerLimits[] {
  const ids = new Set([...partnersOf(catalog), ...config.partners.keys()]);
  return [...ids].map((id) => config.partners.get(id) ?? { id, ...DEFAULT_PARTNER_LIMITS });
}

/** The threads replays run on, as configured (`REPLAY_THREADS`); none when replays stay on the role's thread. */
function replayThreadsOf(config: Config): ReplayThreads | undefined {
  const count = config.REPLAY_THREADS;
  if (count === 0) return undefined;
  const setup = {
    databaseUrl: config.DATABASE_URL,
    schema: config.DATABASE_SCHEMA,
    brokers: config.KAFKA_BROKERS,
    kafkaSecurity: kafkaSecurity(config),
    zone: config.BANK_TIME_ZONE,
  };
  return new ReplayThreads(setup, count, (records) => metrics.backfillProgress.inc(records));
}

/**
 * Keeps `achievements_backfills_running` to what PostgreSQL holds, every 30 s: with the progress backfills make
 * (`achievements_backfill_progress_total`), what tells a backfill that stalled (deploy/prometheus/alerts.yaml).
 */
function watchRunningBackfills(db: pg.Pool): () => void {
  const read = () =>
    db
      .query<{ running: string }>(
        "SELECT count(*) AS running FROM replays WHERE kind = 'backfill' AND status = 'running'",
      )
      .then(({ rows }) => metrics.backfillsRunning.set(Number(rows[0]!.running)))
      .catch((error: unknown) => logger('worker').warn({ err: error }, 'running backfills not read'));
  void read();
  const timer = setInterval(() => void read(), 30_000);
  return () => clearInterval(timer);
}

/**
 * The worker role: the Temporal worker with the reward activities, the starter that turns unlock records
 * into reward workflows, and the points-expiry schedule. The returned function stops them in order.
 */
export async function startWorkerRole(
  config: Config,
  rules: RuleFeed,
  temporal: TemporalTarget,
  onFailure: (error: Error) => void,
): Promise<{ stop: () => Promise<void>; probes: Record<string, HealthProbe> }> {
  const catalog = () => rules.book().everLive();
  const topics = topicsOf(config.KAFKA_TOPIC_PREFIX);
  const db = createPool(config.DATABASE_URL, config.DATABASE_SCHEMA);
  const kafka = createKafka('achievements-worker');
  const threads = replayThreadsOf(config);
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const activities = createActivities({
    db,
    producer,
    catalog,
    pointsExpiryMs: config.POINTS_EXPIRY,
    tiers: config.LOYALTY_TIERS,
    pushTopic: topics.notifications,
  });
  const partnerActivities = createPartnerActivities({
    partners: config.partners,
    pseudonymKey: config.PARTNER_PSEUDONYM_KEY,
    publicBaseUrl: config.PUBLIC_BASE_URL,
  });
  const connection = await Connection.connect({ address: temporal.address, ...temporal.security });
  const client = new Client({ connection, namespace: temporal.namespace });
  const rewardStart = {
    temporal: client,
    level: (unlock: UnlockedUnder) => findLevel(rules, unlock),
    callbackTimeoutMs: config.PARTNER_CALLBACK_TIMEOUT,
    partnerRetryMs: config.PARTNER_RETRY_WINDOW,
    reconcile: (input: RewardInput) => reconcileReward({ db, temporal: client, activities }, input),
  };
  let failed: Error | undefined;
  const failedForGood = (error: Error) => {
    failed = error;
    onFailure(error);
  };
  const stopWorker = await startWorker({
    ...temporal,
    onFailure: failedForGood,
    activities,
    partnerActivities,
    partners: partnersToServe(config, catalog()),
    prebuilt: config.NODE_ENV === 'production',
    replays: {
      taskQueue: temporal.replayTaskQueue,
      rewardTaskQueue: temporal.backfillRewardTaskQueue,
      concurrency: config.REPLAY_CONCURRENCY,
      activities: createReplayActivities({
        db,
        kafka,
        rules,
        zone: config.BANK_TIME_ZONE,
        rewards: { ...rewardStart, taskQueue: temporal.backfillRewardTaskQueue },
        outputs: topics,
        awardsPerSecond: config.BACKFILL_REWARD_RATE,
        ...(threads ? { threads } : {}),
      }),
    },
  });
  await ensureExpirySchedule(client, temporal.taskQueue);
  const stopStarter = await startRewardStarter({
    ...rewardStart,
    kafka,
    db,
    taskQueue: temporal.taskQueue,
    groupId: consumerGroupsOf(config.KAFKA_GROUP_PREFIX).rewards,
    topic: topics.unlocked,
    deadLetterTopic: topics.deadLetters,
    onFailure: failedForGood,
  });
  const stopBackfillWatch = watchRunningBackfills(db);
  const stopNudges = startNudgeDispatcher({
    db,
    zone: config.BANK_TIME_ZONE,
    catalog,
    pushTopic: topics.notifications,
  });
  return {
    stop: async () => {
      stopBackfillWatch();
      await stopNudges();
      await stopStarter();
      await stopWorker();
      await threads?.close();
      await connection.close();
      await producer.disconnect();
      await db.end();
    },
    probes: {
      postgres: postgresProbe(db),
      temporal: temporalProbe(connection),
      workers: () =>
        failed ? Promise.reject(new Error(`stopped for good: ${failed.message}`)) : Promise.resolve(),
    },
  };
}
