import type { Kafka } from 'kafkajs';
import { createPool, migrate } from '../../platform/postgres.js';
import { createTopics } from '../../platform/topic-creation.js';
import { killGroup, startChild } from '../children.js';
import { waitForCommitted } from './committed.js';

export interface PairOptions {
  kafka: Kafka;
  databaseUrl: string;
  /** The environment of (b)'s processor: its input topics and brokers; schema, group and outputs become the pair's. */
  childEnv: Record<string, string>;
  records: number;
  runId: string;
}

/**
 * (b′) The same records through two processors in one consumer group, one per core: events per second from
 * both being ready until every record is committed, on a schema, group and output topics of their own.
 */
export async function measurePair({
  kafka,
  databaseUrl,
  childEnv,
  records,
  runId,
}: PairOptions): Promise<number> {
  const schema = `bench_pair_${runId}`;
  await migrate(databaseUrl, schema);
  const db = createPool(databaseUrl, schema);
  const outputs = { unlocked: `bench.${runId}.pair-unlocked`, notifications: `bench.${runId}.pair-push` };
  await createTopics(
    kafka,
    Object.values(outputs).map((topic) => ({ topic, numPartitions: 1 })),
  );
  const env = {
    ...childEnv,
    CHILD_SCHEMA: schema,
    CHILD_GROUP: `bench-pair-${runId}`,
    CHILD_UNLOCKED_TOPIC: outputs.unlocked,
    CHILD_PUSH_TOPIC: outputs.notifications,
  };
  const pair = await Promise.all([
    startChild('processor-child.ts', env),
    startChild('processor-child.ts', env),
  ]);
  try {
    const started = performance.now();
    return (records / ((await waitForCommitted(db, records)) - started)) * 1000;
  } finally {
    for (const child of pair) killGroup(child, 'SIGTERM');
    await db.query(`DROP SCHEMA ${schema} CASCADE`);
    await db.end();
  }
}
