/**
 * The engine's roles in processes (groups) of their own, as a deployment runs each: the whole-system and fault
 * suites, the crash tests and the benchmark start `main.ts processor|worker|api` this way, so they can be
 * killed with SIGKILL and are configured exactly as a Deployment configures them, by environment.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

/** The engine's roles, which `npm start` runs together. */
export type EngineRole = 'processor' | 'worker' | 'api';
/** Every role `main.ts` runs: the engine's, and streaming backups (`main.ts backup`). */
export type Role = EngineRole | 'backup';

export interface Child {
  process: ChildProcess;
  /** Milliseconds from spawning until the role said it was ready. */
  startupMs: number;
  /** Where it serves /metrics, /health/live and /health/ready. */
  metricsUrl: string;
}

/**
 * The processors' young generation, as deploy/k8s/processor.yaml sets it: each event allocates a few short-lived
 * objects, and V8's default 16 MB semi-spaces made the processor spend about a seventh of its time collecting
 * them; 64 MB gave the engine 10 to 40 % more events per second in A/B runs.
 */
const YOUNG_GENERATION = '--max-semi-space-size=64';

const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));

/** A TCP port free on loopback now, for a role's METRICS_PORT or the API's PORT. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Whether `url` answers 200 within a second. */
const answersOk = (url: string) =>
  fetch(url, { signal: AbortSignal.timeout(1_000) }).then(
    (response) => response.ok,
    () => false,
  );

/**
 * Starts `main.ts <role>` with `env` added (a METRICS_PORT of its own unless given), resolved once its
 * /health/ready answers 200, as an orchestrator's readiness probe waits for it; rejected if it exits first
 * or is not ready within `readyWithinMs` (`ready: false`: resolved at once, for a test that kills it while it
 * starts). It logs at LOG_LEVEL (fatal unless given), each line to `onLine`,
 * or else to this process's output: a role that gives up says why.
 */
export async function startRole(
  role: Role,
  env: Record<string, string>,
  options: {
    onLine?: (line: string) => void;
    readyWithinMs?: number;
    ready?: boolean;
    /** Another checkout's main.ts (the benchmark's A/B pairs run an earlier build). */
    main?: string;
  } = {},
): Promise<Child> {
  const { onLine = (line: string) => process.stdout.write(`${line}\n`), readyWithinMs = 180_000 } = options;
  const started = performance.now();
  const metricsPort = env.METRICS_PORT ?? String(await freePort());
  const child = spawn(process.execPath, [YOUNG_GENERATION, '--import', 'tsx', options.main ?? MAIN, role], {
    env: { ...process.env, LOG_LEVEL: 'fatal', ...env, METRICS_PORT: metricsPort },
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  createInterface({ input: child.stdout }).on('line', onLine);
  const metricsUrl = `http://127.0.0.1:${metricsPort}`;
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  while (options.ready !== false && !(await answersOk(`${metricsUrl}/health/ready`))) {
    if (exited !== undefined) throw new Error(`main.ts ${role} exited with ${exited} before it was ready`);
    if (performance.now() - started > readyWithinMs) {
      killGroup({ process: child });
      throw new Error(`main.ts ${role} was not ready within ${readyWithinMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { process: child, startupMs: performance.now() - started, metricsUrl };
}

/** A signal (SIGKILL unless told) to the child's whole process group, as `kill -9` would hit an instance. */
export function killGroup(child: { process: ChildProcess }, signal: NodeJS.Signals = 'SIGKILL') {
  try {
    process.kill(-child.process.pid!, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Signals a role to stop (SIGTERM: an orderly shutdown) and answers its exit code once it exited. */
export function stopRole(child: Child, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  const { process: role } = child;
  if (role.exitCode !== null || role.signalCode !== null) return Promise.resolve(role.exitCode);
  const exited = new Promise<number | null>((resolve) => role.once('exit', (code) => resolve(code)));
  killGroup(child, signal);
  return exited;
}
