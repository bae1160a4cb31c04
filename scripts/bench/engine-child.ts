import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';

const CHILD = fileURLToPath(new URL('../processor-child.ts', import.meta.url));

export interface EngineChild {
  process: ChildProcess;
  /** Milliseconds from spawning until the processor had joined its group. */
  startupMs: number;
}

/** Starts the real stream processor in its own process (so it can be killed with SIGKILL). */
export function startEngineChild(env: Record<string, string>): Promise<EngineChild> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    env: { ...process.env, ...env, LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready'))
        resolve({ process: child, startupMs: performance.now() - started });
    });
    child.once('exit', (code) => reject(new Error(`engine child exited with ${code}`)));
  });
}

export function killEngineChild(child: EngineChild, signal: NodeJS.Signals = 'SIGKILL') {
  try {
    process.kill(-child.process.pid!, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

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
