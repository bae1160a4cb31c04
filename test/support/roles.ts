import type { Kafka } from 'kafkajs';
import { inject } from 'vitest';
import { createTopics } from '../../platform/topic-creation.js';
import { consumerGroupsOf, topicsOf, type EngineTopics } from '../../platform/topics.js';
import { taskQueuesOf } from '../../temporal.config.js';
import { TEST_JWT_SECRET } from './api.js';
import { uniqueName } from './stack.js';

/**
 * How tests tune an engine, through the variables a Deployment sets. Backfills checkpoint often (short chunks:
 * a kill lands in the middle of one), but not too often: the replay must outrun the steady load it chases to
 * live processing, and on a busy CI machine chunks of 150 records (a checkpoint each) replayed barely faster
 * than the load wrote. A worker killed mid-replay is taken over after 5 s of silence. A partner down for
 * minutes is asked again until it answers, never `failed`.
 */
const TUNED = {
  BACKFILL_CHUNK: '1s',
  BACKFILL_CHUNK_RECORDS: '500',
  BACKFILL_HEARTBEAT_TIMEOUT: '5s',
  BACKFILL_REWARD_RATE: '200',
  PARTNER_RETRY_WINDOW: '15m',
  PARTNER_CALLBACK_TIMEOUT: '15m',
};

/**
 * An engine of a test's own, as the roles (`main.ts processor|worker|api`) see it through their configuration:
 * a prefix for its topics, consumer groups and task queues, its PostgreSQL schema, and the environment every
 * role of it is started with. Two engines on the same servers never meet.
 */
export interface OwnEngine {
  name: string;
  topics: EngineTopics;
  /** Its input topics, and its unlock and push topics, as tests read and write them. */
  inputs: { transactions: string; clientEvents: string };
  outputs: { unlocked: string; notifications: string };
  groups: ReturnType<typeof consumerGroupsOf>;
  queues: ReturnType<typeof taskQueuesOf>;
  /** The environment of its roles; a test adds what it tunes (a partner, a shorter chunk). */
  env: Record<string, string>;
}

/**
 * Creates the engine's topics (the input and redrive topics with `partitions` partitions, the others with
 * one) and answers its names and environment over `schema` (migrated by the caller).
 */
export async function ownEngine(kafka: Kafka, schema: string, partitions = 3): Promise<OwnEngine> {
  const name = uniqueName('e');
  const topics = topicsOf(`${name}.`);
  const partitioned: string[] = [topics.transactions, topics.clientEvents, topics.redrive];
  await createTopics(
    kafka,
    Object.values(topics).map((topic) => ({
      topic,
      numPartitions: partitioned.includes(topic) ? partitions : 1,
    })),
  );
  return {
    name,
    topics,
    inputs: { transactions: topics.transactions, clientEvents: topics.clientEvents },
    outputs: { unlocked: topics.unlocked, notifications: topics.notifications },
    groups: consumerGroupsOf(name),
    queues: taskQueuesOf(name),
    env: {
      NODE_ENV: 'test',
      KAFKA_BROKERS: inject('kafkaBrokers').join(','),
      DATABASE_URL: inject('databaseUrl'),
      DATABASE_SCHEMA: schema,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      KAFKA_TOPIC_PREFIX: `${name}.`,
      KAFKA_GROUP_PREFIX: name,
      TEMPORAL_TASK_QUEUE_PREFIX: name,
      BANK_TIME_ZONE: 'Europe/Kyiv',
      JWT_SECRET: TEST_JWT_SECRET,
      // One admin acts alone in the suites that test the actions themselves; test/approvals.int.test.ts and
      // the console's approvals test run four-eyes, as production does.
      ADMIN_APPROVALS: 'single',
      // The broker's minimum: a processor killed is declared gone, and its partitions taken over, soon.
      KAFKA_SESSION_TIMEOUT: '6s',
      ACTOR_IDLE_TIMEOUT: '60s',
      ...TUNED,
    },
  };
}
