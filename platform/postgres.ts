import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import pg from 'pg';
import { logger } from './logger.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations', import.meta.url));

/** A connection pool; `schema`, when given, becomes the search path (tests use it to own their tables). */
export function createPool(databaseUrl: string, schema?: string): pg.Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: 10,
    connectionTimeoutMillis: 5_000,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', (error) => logger('postgres').warn({ err: error }, 'idle PostgreSQL client failed'));
  return pool;
}

/**
 * Runs `work` on a client checked out of the pool, then releases it (dropping it if its connection was lost).
 * While a client is out, the pool no longer listens for its errors: a connection lost between two queries
 * would be an uncaught exception ending the process (seen in CI with PostgreSQL stopped). The loss also fails
 * the next query, which is where `work` hears of it.
 */
export async function withClient<T>(db: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await db.connect();
  let lost: Error | undefined;
  const onError = (error: Error) => {
    lost = error;
  };
  client.on('error', onError);
  try {
    return await work(client);
  } finally {
    client.off('error', onError);
    client.release(lost);
  }
}

/** Runs `work` in one transaction on one connection: committed if it resolves, rolled back if it throws. */
export function inTransaction<T>(
  db: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
  begin = 'BEGIN',
): Promise<T> {
  return withClient(db, (client) => transactionOn(client, work, begin));
}

/** `inTransaction` on a connection already checked out. */
export async function transactionOn<T>(
  client: pg.PoolClient,
  work: (client: pg.PoolClient) => Promise<T>,
  begin = 'BEGIN',
): Promise<T> {
  try {
    await client.query(begin);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** Runs reads in one snapshot: what they answer together is what the database held at one moment. */
export const inSnapshot = <T>(db: pg.Pool, reads: (client: pg.PoolClient) => Promise<T>) =>
  inTransaction(db, reads, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');

/** The advisory lock of a schema's migrations: schemas sharing a server do not wait on each other. */
const migrationLockOf = (schema: string) =>
  parseInt(createHash('sha256').update(`achievements-migrations:${schema}`).digest('hex').slice(0, 12), 16);

/**
 * Applies pending forward-only migrations from `migrations/`. Every role migrates as it starts, so pods
 * starting together wait on the schema's advisory lock (and find nothing left to apply), never fail.
 */
export async function migrate(databaseUrl: string, schema = 'public'): Promise<string[]> {
  const log = logger('migrations');
  const applied = await runner({
    databaseUrl,
    dir: MIGRATIONS_DIR,
    direction: 'up',
    migrationsTable: 'schema_migrations',
    schema,
    createSchema: true,
    checkOrder: true,
    singleTransaction: true,
    advisoryLockMode: 'wait',
    lockValue: migrationLockOf(schema),
    log: (message) => log.debug(message),
  });
  return applied.map((migration) => migration.name);
}
