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

/**
 * The processors' young generation, as deploy/k8s/processor.yaml sets it: each event allocates a few short-lived
 * objects, and V8's default 16 MB semi-spaces made the processor spend about a seventh of its time collecting
 * them; 64 MB gave the engine 10 to 40 % more events per second in A/B runs.
 */
const YOUNG_GENERATION = '--max-semi-space-size=64';

/** Starts `scripts/<script>` with `env` added, resolved once it prints `ready`. */
export function startChild(script: string, env: Record<string, string>): Promise<Child> {
  const started = performance.now();
  const path = fileURLToPath(new URL(`./${script}`, import.meta.url));
  const child = spawn(process.execPath, [YOUNG_GENERATION, '--import', 'tsx', path], {
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
