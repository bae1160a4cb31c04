import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type pg from 'pg';
import { inject } from 'vitest';
import { createApp } from '../../api/app.js';
import { temporalReplays } from '../../api/replay-starter.js';
import { postgresRuleAdmin } from '../../api/rule-admin-store.js';
import { postgresReplays } from '../../api/replay-store.js';
import type { RuleFeed } from '../../platform/rule-feed.js';
import type { InputTopics } from '../../platform/topics.js';
import type { OutputTopics } from '../../platform/unlock-records.js';
import { WORKFLOWS_PATH } from '../../workflows/bundle.js';
import { createReplayActivities } from '../../workflows/replay-activities.js';
import { installTemporalRuntime } from '../../workflows/runtime.js';
import { ReplayThreads } from '../../workflows/replay-threads.js';
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
 * a queue no worker polls here: tests that award run the worker role, `main.ts worker` (see roles.ts).
 */
export async function startReplayWorker(
  db: pg.Pool,
  rules: RuleFeed,
  client: Client,
  options: {
    taskQueue: string;
    outputs?: OutputTopics;
    /** Replays on this many threads (see workflows/replay-threads.ts) over the test's schema. */
    threads?: { count: number; schema: string };
  },
) {
  installTemporalRuntime();
  const threads = options.threads && replayThreads(options.threads.schema, options.threads.count);
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
      ...(threads ? { threads } : {}),
    }),
  });
  const running = worker.run();
  return {
    stop: async () => {
      worker.shutdown();
      await running;
      await threads?.close();
      await connection.close();
    },
  };
}

/** Replay threads over the test's schema and the test stack's broker. */
export const replayThreads = (schema: string, count: number) =>
  new ReplayThreads(
    {
      databaseUrl: inject('databaseUrl'),
      schema,
      brokers: inject('kafkaBrokers'),
      kafkaSecurity: {},
      zone: 'Europe/Kyiv',
    },
    count,
    () => undefined,
  );

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

/** The API with the parts replays touch real (rule versions, replays), over a test's schema and topics. */
export function replayApi(db: pg.Pool, client: Client, options: Parameters<typeof replayDependencies>[2]) {
  return createApp(
    apiDependencies({
      rules: postgresRuleAdmin(db, { zone: 'Europe/Kyiv', configuredPartners: () => [] }),
      replays: replayDependencies(db, client, options),
    }),
  );
}
