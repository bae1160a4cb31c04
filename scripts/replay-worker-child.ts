/**
 * A worker role in a process of its own, for the replay tests (one kills it with SIGKILL mid-replay), the
 * fault suite and the benchmark: the live reward queue, the replay queue and the backfill reward queue, over
 * the schema and topics the environment names (CHILD_REPLAY_CONCURRENCY and CHILD_AWARDS_PER_SECOND optional).
 * With CHILD_PARTNER_URL it serves the coffee-house partner, and with CHILD_STARTER_GROUP it also turns the
 * unlock topic's records into reward workflows, as the deployed worker role does.
 */
import { Client, Connection } from '@temporalio/client';
import { Partitioners } from 'kafkajs';
import { DEFAULT_PARTNER_LIMITS, type PartnerEndpoint } from '../platform/config.js';
import { createKafka } from '../platform/kafka.js';
import { createPool } from '../platform/postgres.js';
import { findLevel, startRuleFeed } from '../platform/rule-feed.js';
import { createActivities } from '../workflows/activities.js';
import { createPartnerActivities } from '../workflows/partner-activities.js';
import { createReplayActivities } from '../workflows/replay-activities.js';
import { startRewardStarter } from '../workflows/reward-starter.js';
import { startWorker } from '../workflows/worker.js';

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const db = createPool(env('CHILD_DATABASE_URL'), env('CHILD_SCHEMA'));
const rules = await startRuleFeed(db);
const kafka = createKafka('replay-worker-child', env('CHILD_BROKERS').split(','));
const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
await producer.connect();
const partnerUrl = process.env.CHILD_PARTNER_URL;
const partners = new Map<string, PartnerEndpoint>(
  partnerUrl
    ? [
        [
          'coffee-house',
          {
            id: 'coffee-house',
            url: partnerUrl,
            secret: env('CHILD_PARTNER_SECRET'),
            ...DEFAULT_PARTNER_LIMITS,
          },
        ],
      ]
    : [],
);
const partnerRetryMs = Number(process.env.CHILD_PARTNER_RETRY_MS ?? 60_000);
const address = env('CHILD_TEMPORAL');
const temporal = new Client({ connection: await Connection.connect({ address }) });
await startWorker({
  address,
  namespace: 'default',
  taskQueue: env('CHILD_REWARD_QUEUE'),
  activities: createActivities({
    db,
    producer,
    catalog: () => rules.book().everLive(),
    pointsExpiryMs: 365 * 86_400_000,
    tiers: { silver: 1000, gold: 3000 },
  }),
  partnerActivities: createPartnerActivities({
    partners,
    pseudonymKey: 'test-pseudonym-key-of-at-least-32-chars',
    publicBaseUrl: process.env.CHILD_PUBLIC_BASE_URL ?? 'http://127.0.0.1:1',
  }),
  partners: [...partners.values()],
  prebuilt: false,
  replays: {
    taskQueue: env('CHILD_REPLAY_QUEUE'),
    rewardTaskQueue: env('CHILD_BACKFILL_REWARD_QUEUE'),
    concurrency: Number(process.env.CHILD_REPLAY_CONCURRENCY ?? 2),
    activities: createReplayActivities({
      db,
      kafka,
      rules,
      zone: 'Europe/Kyiv',
      rewards: {
        temporal,
        taskQueue: env('CHILD_BACKFILL_REWARD_QUEUE'),
        level: (unlock) => findLevel(rules, unlock),
        callbackTimeoutMs: 60_000,
        partnerRetryMs,
      },
      outputs: { unlocked: env('CHILD_UNLOCKED_TOPIC'), notifications: env('CHILD_PUSH_TOPIC') },
      awardsPerSecond: Number(process.env.CHILD_AWARDS_PER_SECOND ?? 200),
    }),
  },
});
if (process.env.CHILD_STARTER_GROUP) {
  await startRewardStarter({
    kafka,
    db,
    temporal,
    taskQueue: env('CHILD_REWARD_QUEUE'),
    level: (unlock) => findLevel(rules, unlock),
    callbackTimeoutMs: partnerRetryMs,
    partnerRetryMs,
    groupId: process.env.CHILD_STARTER_GROUP,
    topic: env('CHILD_UNLOCKED_TOPIC'),
  });
}
process.stdout.write('ready\n');
