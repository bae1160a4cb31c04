/**
 * A script of `scripts/` in a process (group) of its own, as a deployment runs each role: the crash tests
 * and the benchmark start processors and workers this way, so they can be killed with SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface Child {
  process: ChildProcess;
  /** Milliseconds from spawning until the script said it was ready. */
  startupMs: number;
}

/** Starts `scripts/<script>` with `env` added, resolved once it prints `ready`. */
export function startChild(script: string, env: Record<string, string>): Promise<Child> {
  const started = performance.now();
  const path = fileURLToPath(new URL(`./${script}`, import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', path], {
    env: { ...process.env, ...env, LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready'))
        resolve({ process: child, startupMs: performance.now() - started });
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
}

/** A signal (SIGKILL unless told) to the child's whole process group, as `kill -9` would hit an instance. */
export function killGroup(child: Child, signal: NodeJS.Signals = 'SIGKILL') {
  try {
    process.kill(-child.process.pid!, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}
