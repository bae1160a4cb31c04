import type pg from 'pg';
import { createPool, inTransaction, migrate } from '../../platform/postgres.js';

const BATCH = 1_000;
const AT_ONCE = 6;

/**
 * (b″) What PostgreSQL alone takes of the engine's writes: the progress rows (b) stored, upserted again in
 * batches of 1,000 by six transactions at once, with the statement the engine uses (platform/engine-state.ts),
 * each batch already serialized. The engine stores a progress row for nearly every event (each moves its
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
  const lanes = Array.from({ length: AT_ONCE }, () => [] as { json: string; size: number }[]);
  for (let i = 0; i < rows.length; i += BATCH) {
    const batch = rows.slice(i, i + BATCH);
    lanes[(i / BATCH) % AT_ONCE]!.push({ json: JSON.stringify(batch), size: batch.length });
  }
  const schema = `bench_ceiling_${runId}`;
  await migrate(databaseUrl, schema);
  const db = createPool(databaseUrl, schema);
  let version = 0;
  let written = 0;
  const started = performance.now();
  const until = started + seconds * 1000;
  const run = async (batches: { json: string; size: number }[]) => {
    for (let b = 0; batches.length > 0 && performance.now() < until; b = (b + 1) % batches.length) {
      const { json, size } = batches[b]!;
      await inTransaction(db, (client) =>
        client.query(
          `INSERT INTO client_progress (client_id, version, progress)
           SELECT client_id, $2, progress FROM json_to_recordset($1::json) AS r (client_id text, progress json)
           ON CONFLICT (client_id) DO UPDATE
             SET version = EXCLUDED.version, progress = EXCLUDED.progress, updated_at = now()
             WHERE client_progress.version < EXCLUDED.version`,
          [json, ++version],
        ),
      );
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
