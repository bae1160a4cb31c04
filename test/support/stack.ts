import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { createKafka } from '../../platform/kafka.js';
import { createPool, migrate } from '../../platform/postgres.js';

/** A name no other test uses, so each test owns its topics, groups, schemas and ids. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export function testKafka() {
  return createKafka(uniqueName('test'), inject('kafkaBrokers'));
}

/** A fresh schema holding every migration, and a pool whose search path is that schema. */
export async function migratedSchema() {
  const schema = uniqueName('test').replace('-', '_');
  const databaseUrl = inject('databaseUrl');
  const applied = await migrate(databaseUrl, schema);
  const pool = createPool(databaseUrl, schema);
  return {
    schema,
    pool,
    applied,
    drop: async () => {
      await pool.query(`DROP SCHEMA ${schema} CASCADE`);
      await pool.end();
    },
  };
}
