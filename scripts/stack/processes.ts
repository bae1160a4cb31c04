import { execFile, spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

/** A local service that did not come up or go down; names the service and where its log is. */
export class StackError extends Error {
  constructor(
    readonly service: string,
    detail: string,
    readonly logFile?: string,
  ) {
    super(`${service}: ${detail}${logFile ? ` (see ${logFile})` : ''}`);
    this.name = 'StackError';
  }
}

function readPid(pidFile: string): number | undefined {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid recorded in `pidFile` when that process still runs. */
export function runningPid(pidFile: string): number | undefined {
  const pid = readPid(pidFile);
  return pid !== undefined && isAlive(pid) ? pid : undefined;
}

export interface DetachedSpawn {
  command: string;
  args: string[];
  logFile: string;
  pidFile: string;
  env?: NodeJS.ProcessEnv;
}

/** Starts a server that outlives this process (its output appended to `logFile`) and records its pid. */
export function spawnDetached({ command, args, logFile, pidFile, env }: DetachedSpawn): number {
  mkdirSync(dirname(logFile), { recursive: true });
  const out = openSync(logFile, 'a');
  const child = spawn(command, args, {
    detached: true,
    stdio: ['ignore', out, out],
    env: env ?? process.env,
  });
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  child.unref();
  writeFileSync(pidFile, String(child.pid));
  return child.pid;
}

/** Sends SIGTERM to the recorded process and waits for it to exit (SIGKILL after `graceMs`). */
export async function stopProcess(pidFile: string, graceMs = 20_000): Promise<boolean> {
  const pid = runningPid(pidFile);
  if (pid === undefined) return false;
  process.kill(-pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) process.kill(-pid, 'SIGKILL');
  rmSync(pidFile, { force: true });
  return true;
}

export interface Readiness {
  service: string;
  probe: () => Promise<boolean>;
  logFile?: string;
  pidFile?: string;
  timeoutMs?: number;
}

/** Polls `probe` until it answers true; fails early when the server's process has died. */
export async function waitUntilReady({ service, probe, logFile, pidFile, timeoutMs = 120_000 }: Readiness) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (pidFile && runningPid(pidFile) === undefined) {
      throw new StackError(service, 'the process exited before it became ready', logFile);
    }
    if (Date.now() > deadline)
      throw new StackError(service, `not ready after ${timeoutMs / 1000} s`, logFile);
    await sleep(250);
  }
}

/**
 * Runs a setup command (an install, a download) with its output kept back: the caller says in one line what it
 * fetches, and the output shows only if the command fails (Maven's, apt's and the go command's logs name every
 * file they download).
 */
export async function runQuietly(
  service: string,
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<void> {
  await promisify(execFile)(command, args, { ...options, maxBuffer: 64 << 20 }).catch(
    (error: Error & { stdout?: string; stderr?: string }) => {
      throw new StackError(service, `${error.message}${error.stdout ?? ''}`);
    },
  );
}

/**
 * `runQuietly` once no other process holds `lock` (a file, flock from util-linux): test files run in parallel
 * processes, and some installs must not run beside each other.
 */
export async function runQuietlyInTurn(
  service: string,
  lock: string,
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<void> {
  mkdirSync(dirname(lock), { recursive: true });
  await runQuietly(service, 'flock', [lock, command, ...args], options);
}
