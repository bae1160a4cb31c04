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

/** Applies pending forward-only migrations from `migrations/`; concurrent starters wait on an advisory lock. */
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
    log: (message) => log.debug(message),
  });
  return applied.map((migration) => migration.name);
}
