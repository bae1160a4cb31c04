import type pg from 'pg';
import { storeProgressRows } from '../../platform/engine-state.js';
import { createPool, inTransaction, migrate } from '../../platform/postgres.js';

const BATCH = 1_000;
const AT_ONCE = 6;
/** Where a row's version stands in its serialized batch (the progress holds no member named so). */
const VERSION_ZERO = '"version":0,"progress":';

/**
 * (b″) What PostgreSQL alone takes of the engine's writes: the progress rows (b) stored, upserted again in
 * batches of 1,000 by six transactions at once, through the engine's own statement (`storeProgressRows`), each
 * batch already serialized. The engine stores a progress row for nearly every event (each moves its
 * client's horizon), so on the same machine it cannot go faster than this.
 */
export async function measureProgressCeiling(
  source: pg.Pool,
  databaseUrl: string,
  runId: string,
  seconds: number,
): Promise<number> {
  const { rows } = await source.query<{ client_id: string; progress: unknown }>(
    'SELECT client_id, progress FROM client_progress LIMIT 60000',
  );
  // Each transaction has clients of its own, as each partition's batches do: none waits on another's rows.
  // A batch is serialized once, split where each row's version goes: every write gives a newer one.
  const lanes = Array.from({ length: AT_ONCE }, () => [] as { parts: string[]; size: number }[]);
  for (let i = 0; i < rows.length; i += BATCH) {
    const batch = rows
      .slice(i, i + BATCH)
      .map(({ client_id, progress }) => ({ client_id, version: 0, progress }));
    const parts = JSON.stringify(batch).split(VERSION_ZERO);
    if (parts.length !== batch.length + 1) throw new Error('a row of the batch would keep its version');
    lanes[(i / BATCH) % AT_ONCE]!.push({ parts, size: batch.length });
  }
  const schema = `bench_ceiling_${runId}`;
  await migrate(databaseUrl, schema);
  const db = createPool(databaseUrl, schema);
  let version = 0;
  let written = 0;
  const started = performance.now();
  const until = started + seconds * 1000;
  const run = async (batches: { parts: string[]; size: number }[]) => {
    for (let b = 0; batches.length > 0 && performance.now() < until; b = (b + 1) % batches.length) {
      const { parts, size } = batches[b]!;
      const json = parts.join(`"version":${++version},"progress":`);
      await inTransaction(db, (client) => storeProgressRows(client, json));
      written += size;
    }
  };
  try {
    await Promise.all(lanes.map(run));
    return written / ((performance.now() - started) / 1000);
  } finally {
    await db.query(`DROP SCHEMA ${schema} CASCADE`);
    await db.end();
  }
}
