import type pg from 'pg';

/** Sum of the next offsets the engine has committed with its progress, over all partitions. */
export async function committedRecords(db: pg.Pool): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    'SELECT coalesce(sum(next_offset), 0) AS n FROM consumer_offsets',
  );
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
