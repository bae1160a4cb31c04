import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type pg from 'pg';
import { inject } from 'vitest';
import { createApp } from '../../api/app.js';
import { temporalReplays } from '../../api/replay-starter.js';
import { postgresRuleAdmin } from '../../api/rule-admin-store.js';
import { postgresReplays } from '../../api/replay-store.js';
import { findLevel, type RuleFeed } from '../../platform/rule-feed.js';
import type { InputTopics } from '../../platform/topics.js';
import type { OutputTopics } from '../../platform/unlock-records.js';
import { WORKFLOWS_PATH } from '../../workflows/bundle.js';
import { createReplayActivities } from '../../workflows/replay-activities.js';
import { startRewardStarter } from '../../workflows/reward-starter.js';
import { installTemporalRuntime } from '../../workflows/runtime.js';
import type { Kafka } from 'kafkajs';
import { apiDependencies } from './api.js';
import { bankHistory } from './bank-history.js';
import { catalog, nextWrittenAt, ownInputTopics, produceEvents } from './engine.js';
import { testKafka, uniqueName } from './stack.js';

/** How the tests' replays run: short chunks, so checkpoints and progress come often. */
export const TEST_RUN = { chunkMs: 1_000, maxHistoryLength: 10_000, heartbeatTimeoutMs: 5_000 };

/** A Temporal client of the test run's server; `close` when done. */
export async function temporalClient() {
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  return { client: new Client({ connection }), connection, close: () => connection.close() };
}

/** The API's replay dependencies over the test's schema, topics and consumer group, on its own task queue. */
export function replayDependencies(
  db: pg.Pool,
  client: Client,
  options: { taskQueue: string; topics: InputTopics; groupId?: string; run?: typeof TEST_RUN },
) {
  return {
    starter: temporalReplays({
      kafka: testKafka(),
      temporal: client,
      taskQueue: options.taskQueue,
      topics: options.topics,
      groupId: options.groupId ?? uniqueName('group'),
      run: options.run ?? TEST_RUN,
    }),
    store: postgresReplays(db),
  };
}

/**
 * A worker in this process running the replay workflows and activities on `taskQueue`. Backfill rewards go to
 * a queue no worker polls here: tests that award run their workers in a child process (see replay-worker-child).
 */
export async function startReplayWorker(
  db: pg.Pool,
  rules: RuleFeed,
  client: Client,
  options: { taskQueue: string; outputs?: OutputTopics },
) {
  installTemporalRuntime();
  const connection = await NativeConnection.connect({ address: inject('temporalAddress') });
  const worker = await Worker.create({
    connection,
    taskQueue: options.taskQueue,
    workflowsPath: WORKFLOWS_PATH,
    activities: createReplayActivities({
      db,
      kafka: testKafka(),
      rules,
      zone: 'Europe/Kyiv',
      rewards: {
        temporal: client,
        taskQueue: uniqueName('unpolled-rewards'),
        level: ({ achievementId }) => Promise.resolve(catalog.achievements.get(achievementId)?.level),
        callbackTimeoutMs: 60_000,
        partnerRetryMs: 60_000,
      },
      outputs: options.outputs ?? { unlocked: uniqueName('unused'), notifications: uniqueName('unused') },
      awardsPerSecond: 100,
    }),
  });
  const running = worker.run();
  return {
    stop: async () => {
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}

/**
 * Input topics (one partition) whose oldest records were deleted, as retention deletes them, and a time from
 * before all of them: a replay from then would miss what is gone.
 */
export async function historyWithAHole(kafka: Kafka) {
  const topics = await ownInputTopics(kafka, 1);
  const before = (await nextWrittenAt()).toISOString();
  await produceEvents(kafka, topics, bankHistory([uniqueName('c'), uniqueName('c')], 3));
  const admin = kafka.admin();
  await admin.connect();
  await admin.fetchTopicMetadata({ topics: [topics.transactions] });
  await admin.deleteTopicRecords({ topic: topics.transactions, partitions: [{ partition: 0, offset: '2' }] });
  await admin.disconnect();
  return { topics, before };
}

/** The environment of `scripts/processor-child.ts` over a test's schema, consumer group and topics. */
export function processorChildEnv(options: {
  schema: string;
  groupId: string;
  topics: { transactions: string; clientEvents: string };
  outputs: OutputTopics;
}): Record<string, string> {
  return {
    CHILD_BROKERS: inject('kafkaBrokers').join(','),
    CHILD_DATABASE_URL: inject('databaseUrl'),
    CHILD_SCHEMA: options.schema,
    CHILD_GROUP: options.groupId,
    CHILD_TX_TOPIC: options.topics.transactions,
    CHILD_EVENTS_TOPIC: options.topics.clientEvents,
    CHILD_UNLOCKED_TOPIC: options.outputs.unlocked,
    CHILD_PUSH_TOPIC: options.outputs.notifications,
  };
}

/** The environment of `scripts/replay-worker-child.ts` over a test's schema, topics and task queues. */
export function replayWorkerEnv(options: {
  schema: string;
  queues: { rewards: string; replays: string; backfillRewards: string };
  outputs: OutputTopics;
}): Record<string, string> {
  return {
    CHILD_BROKERS: inject('kafkaBrokers').join(','),
    CHILD_DATABASE_URL: inject('databaseUrl'),
    CHILD_SCHEMA: options.schema,
    CHILD_TEMPORAL: inject('temporalAddress'),
    CHILD_REWARD_QUEUE: options.queues.rewards,
    CHILD_REPLAY_QUEUE: options.queues.replays,
    CHILD_BACKFILL_REWARD_QUEUE: options.queues.backfillRewards,
    CHILD_UNLOCKED_TOPIC: options.outputs.unlocked,
    CHILD_PUSH_TOPIC: options.outputs.notifications,
  };
}

/** Task queues of a test's own for the worker child: live rewards, replays, and the rewards backfills start. */
export const ownTaskQueues = () => ({
  rewards: uniqueName('rewards'),
  replays: uniqueName('replays'),
  backfillRewards: uniqueName('backfill-rewards'),
});

/** The API with the parts replays touch real (rule versions, replays), over a test's schema and topics. */
export function replayApi(db: pg.Pool, client: Client, options: Parameters<typeof replayDependencies>[2]) {
  return createApp(
    apiDependencies({
      rules: postgresRuleAdmin(db, { zone: 'Europe/Kyiv', configuredPartners: () => [] }),
      replays: replayDependencies(db, client, options),
    }),
  );
}

/**
 * The reward starter in this process, on a test's unlock topic and reward queue, with a group of its own:
 * partners get `partnerTimeoutMs` both to answer and to call back. Returns its stop function.
 */
export function startTestRewardStarter(options: {
  db: pg.Pool;
  client: Client;
  rules: RuleFeed;
  taskQueue: string;
  topic: string;
  partnerTimeoutMs: number;
}) {
  return startRewardStarter({
    kafka: testKafka(),
    db: options.db,
    temporal: options.client,
    taskQueue: options.taskQueue,
    level: (unlock) => findLevel(options.rules, unlock),
    callbackTimeoutMs: options.partnerTimeoutMs,
    partnerRetryMs: options.partnerTimeoutMs,
    groupId: uniqueName('starter'),
    topic: options.topic,
  });
}
