import type pg from 'pg';

/**
 * Sum of the next offsets the engine has checkpointed with its progress, over all partitions; 0 while its
 * schema has no tables yet (an earlier build's role migrates its own as it starts).
 */
export async function committedRecords(db: pg.Pool): Promise<number> {
  const { rows } = await db
    .query<{ n: string }>('SELECT coalesce(sum(next_offset), 0) AS n FROM consumer_offsets')
    .catch((error: unknown) => {
      if ((error as { code?: string }).code === '42P01') return { rows: [{ n: '0' }] };
      throw error;
    });
  return Number(rows[0]!.n);
}

/** Waits until the engine has committed `target` records; answers when that happened. */
export async function waitForCommitted(
  db: pg.Pool,
  target: number,
  timeoutMs = 30 * 60_000,
): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if ((await committedRecords(db)) >= target) return performance.now();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the engine did not commit ${target} records in ${timeoutMs / 1000} s`);
}

/**
 * Records per second an engine committed from its first commit until `target` records: its rate once running,
 * leaving out the process's own start (loading the code, joining the group, being assigned partitions).
 */
export async function committedRate(
  db: pg.Pool,
  target: number,
  /** Told at the first commit and at the target, with the records committed then. */
  at?: (moment: 'first' | 'done', committed: number) => void,
): Promise<number> {
  let first: number;
  while ((first = await committedRecords(db)) === 0) await new Promise((resolve) => setTimeout(resolve, 20));
  const firstAt = performance.now();
  at?.('first', first);
  const doneAt = await waitForCommitted(db, target);
  at?.('done', target);
  return ((target - first) / (doneAt - firstAt)) * 1000;
}
