import { Worker } from 'node:worker_threads';
import { ApplicationFailure } from '@temporalio/common';
import type { KafkaConfig } from 'kafkajs';
import { logger } from '../platform/logger.js';
import type { MergeOutcome } from './backfill-merge-step.js';
import type { PartitionProgress } from './replay-contract.js';

/**
 * Replays on threads of their own. Deciding a replay's records is CPU work (decoding and `decide()`, about 8 µs
 * a record), which one Node thread does on one core. On the benchmark machine's two vCPUs, two threads replayed
 * about a fifth faster than one (BENCHMARKS.md); a worker with two free cores should do better (not measured).
 * Each thread has its own connections, rule feed and partition states. A partition's work all goes to the thread
 * that took its first piece, so its consecutive chunks and its merge find its state in memory there, as they
 * would in one process, and each state is held once.
 */

/** How a thread reaches PostgreSQL and Kafka, and the bank's time zone: what the worker role was configured with. */
export interface ReplayThreadSetup {
  databaseUrl: string;
  schema: string | undefined;
  brokers: string[];
  kafkaSecurity: Pick<KafkaConfig, 'ssl' | 'sasl'>;
  zone: string;
}

/** A partition's work a thread runs: a chunk of its replay, or its merge into live state. */
export type ThreadWork =
  | { kind: 'chunk'; replayId: string; partition: number; chunk: { ms?: number; records?: number } }
  | { kind: 'merge'; replayId: string; partition: number };

export type ToThread = { type: 'work'; id: number; work: ThreadWork } | { type: 'cancel'; id: number };

export type FromThread =
  | { type: 'heartbeat'; id: number; details: unknown }
  | { type: 'replayed'; records: number }
  | { type: 'done'; id: number; result: PartitionProgress | MergeOutcome }
  | { type: 'failed'; id: number; error: ThreadFailure };

/** A failure as a thread threw it; `application` when it was an ApplicationFailure (retrying it may be refused). */
export interface ThreadFailure {
  name: string;
  message: string;
  stack?: string;
  application?: { type: string | undefined; nonRetryable: boolean };
}

/** What a thread sends of a failure: enough to throw it again as it was thrown there. */
export function failureOf(error: unknown): ThreadFailure {
  const { name, message, stack } = error instanceof Error ? error : new Error(String(error));
  return {
    name,
    message,
    ...(stack ? { stack } : {}),
    ...(error instanceof ApplicationFailure
      ? { application: { type: error.type ?? undefined, nonRetryable: error.nonRetryable === true } }
      : {}),
  };
}

interface Pending {
  heartbeat: (details: unknown) => void;
  resolve: (result: PartitionProgress | MergeOutcome) => void;
  reject: (error: Error) => void;
}

/**
 * A failure as the thread threw it: an ApplicationFailure with its type and whether it may be retried (a merge
 * refusing a version no longer live ends the backfill), else an error of its name (a `StaleReplay` stays one).
 */
export function rethrownFrom(failure: ThreadFailure): Error {
  const { message, application } = failure;
  const rethrown = application
    ? ApplicationFailure.create({ message, type: application.type, nonRetryable: application.nonRetryable })
    : Object.assign(new Error(message), { name: failure.name });
  if (failure.stack) rethrown.stack = failure.stack;
  return rethrown;
}

const THREAD_FILE = new URL('./replay-thread.ts', import.meta.url);

/** One thread, started when first needed and again after it exits; what it was running fails with it. */
class ReplayThread {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly setup: ReplayThreadSetup,
    private readonly replayed: (records: number) => void,
  ) {}

  /** How many pieces of work it is running. */
  get busy(): number {
    return this.pending.size;
  }

  run(id: number, work: ThreadWork, pending: Pending, signal: AbortSignal) {
    const worker = this.started();
    const cancel = () => worker.postMessage({ type: 'cancel', id } satisfies ToThread);
    const settled = () => signal.removeEventListener('abort', cancel);
    this.pending.set(id, {
      heartbeat: pending.heartbeat,
      resolve: (result) => (settled(), pending.resolve(result)),
      reject: (error) => (settled(), pending.reject(error)),
    });
    // The work first: the thread heeds a cancel only for work it is running.
    worker.postMessage({ type: 'work', id, work } satisfies ToThread);
    if (signal.aborted) cancel();
    else signal.addEventListener('abort', cancel, { once: true });
  }

  async close() {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    // The role runs TypeScript through tsx (`node --import tsx`); a thread is given the same loader.
    const worker = new Worker(THREAD_FILE, { workerData: this.setup, execArgv: ['--import', 'tsx'] });
    worker.on('message', (message: FromThread) => this.answer(message));
    worker.on('error', (error) => logger('replays').error({ err: error }, 'replay thread failed'));
    worker.on('exit', (code) => {
      if (this.worker === worker) this.worker = undefined;
      const lost = new Error(`the replay thread exited (code ${code}) while running this work`);
      for (const { reject } of this.pending.values()) reject(lost);
      this.pending.clear();
    });
    this.worker = worker;
    return worker;
  }

  private answer(message: FromThread) {
    if (message.type === 'replayed') return this.replayed(message.records);
    const pending = this.pending.get(message.id);
    if (!pending) return;
    if (message.type === 'heartbeat') return pending.heartbeat(message.details);
    this.pending.delete(message.id);
    if (message.type === 'done') pending.resolve(message.result);
    else pending.reject(rethrownFrom(message.error));
  }
}

/**
 * The thread holding a partition's state (`holder`), so its state is in memory once; a partition new to the
 * worker goes to the least busy thread (the first of equals).
 */
export const threadFor = <T extends { busy: number }>(threads: readonly T[], holder: T | undefined): T =>
  holder ?? threads.reduce((least, other) => (other.busy < least.busy ? other : least));

/** How many partitions' holders are remembered: a worker's partitions of the replays running at once, and more. */
const HOLDERS_KEPT = 1_000;

/** The worker role's replay threads. */
export class ReplayThreads {
  private readonly threads: ReplayThread[];
  /** Which thread runs each replay's partition, and so holds its state. */
  private readonly holders = new Map<string, ReplayThread>();
  private nextId = 0;

  constructor(setup: ReplayThreadSetup, count: number, replayed: (records: number) => void) {
    this.threads = Array.from({ length: count }, () => new ReplayThread(setup, replayed));
  }

  private threadOf(work: ThreadWork): ReplayThread {
    const key = `${work.replayId}:${work.partition}`;
    const thread = threadFor(this.threads, this.holders.get(key));
    // Newest last: past its bound, the partition longest unused is forgotten here (its thread drops its state once
    // it has gone unused for 10 minutes, see ReplayStates).
    this.holders.delete(key);
    this.holders.set(key, thread);
    if (this.holders.size > HOLDERS_KEPT) this.holders.delete(this.holders.keys().next().value!);
    return thread;
  }

  run<T extends PartitionProgress | MergeOutcome>(
    work: ThreadWork,
    heartbeat: (details: unknown) => void,
    signal: AbortSignal,
  ): Promise<T> {
    const thread = this.threadOf(work);
    return new Promise<T>((resolve, reject) =>
      thread.run(this.nextId++, work, { heartbeat, resolve: resolve as Pending['resolve'], reject }, signal),
    );
  }

  async close() {
    await Promise.all(this.threads.map((thread) => thread.close()));
  }
}
