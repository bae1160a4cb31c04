import { createPool, migrate } from '../../platform/postgres.js';
import { startRole, stopRole } from '../children.js';
import { committedRate } from './committed.js';

export interface PairOptions {
  databaseUrl: string;
  /** The environment of (b)'s processor: its topics and brokers; the schema and group become the pair's. */
  roleEnv: Record<string, string>;
  records: number;
  runId: string;
}

/**
 * (b′) The same records through two processors in one consumer group, one per core: events per second from
 * their first commit until every record is committed, on a schema and consumer group of their own.
 */
export async function measurePair({ databaseUrl, roleEnv, records, runId }: PairOptions): Promise<number> {
  const schema = `bench_pair_${runId}`;
  await migrate(databaseUrl, schema);
  const db = createPool(databaseUrl, schema);
  const env = { ...roleEnv, DATABASE_SCHEMA: schema, KAFKA_GROUP_PREFIX: `bench-pair-${runId}` };
  const pair = await Promise.all([
    startRole('processor', env, { ready: false }),
    startRole('processor', env, { ready: false }),
  ]);
  try {
    return await committedRate(db, records);
  } finally {
    // Gone before their schema is: a processor still stopping would write into tables no longer there.
    await Promise.all(pair.map((child) => stopRole(child)));
    await db.query(`DROP SCHEMA ${schema} CASCADE`);
    await db.end();
  }
}
