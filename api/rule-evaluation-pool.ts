import { Worker } from 'node:worker_threads';
import { logger } from '../platform/logger.js';
import type { EvaluationTasks } from './rule-evaluation-tasks.js';
import type { TaskMessage, WorkerMessage } from './rule-evaluation-worker.js';

export interface EvaluationPoolOptions {
  /** Threads evaluating at once. */
  threads: number;
  /** Tasks that may wait for a thread; one more is refused with `EvaluationBusy`. */
  queue: number;
  /** How long one task may run before its thread is stopped. */
  budgetMs: number;
}

/** Every thread is busy and the queue is full: come back in `retryAfterS` seconds, when one task has ended. */
export class EvaluationBusy extends Error {
  constructor(readonly retryAfterS: number) {
    super(`every rule evaluation thread is busy and the queue is full; retry after ${retryAfterS} s`);
    this.name = 'EvaluationBusy';
  }
}

/** A task ran longer than its budget: its thread was stopped, the task left unfinished. */
export class EvaluationOverBudget extends Error {
  constructor(readonly budgetMs: number) {
    super(`the evaluation took longer than ${budgetMs} ms`);
    this.name = 'EvaluationOverBudget';
  }
}

type TaskName = keyof EvaluationTasks;
type Output<K extends TaskName> = ReturnType<EvaluationTasks[K]>;

interface Job extends TaskMessage {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

interface Thread {
  worker?: Worker;
  ready: boolean;
  job?: Job;
  timer?: NodeJS.Timeout;
}

/**
 * The API runs TypeScript through tsx without a build, and on Node 20 a worker's `.ts` entry is loaded before
 * any `--import` hook of its execArgv applies; so each thread first registers tsx's loader itself.
 */
const BOOT = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})
  .then(({ register }) => { register(); return import(${JSON.stringify(new URL('./rule-evaluation-worker.ts', import.meta.url).href)}); })`;

const log = logger('rule-evaluation');

/**
 * Worker threads for the rule evaluations of the API (simulations, checks, examples), so a heavy one never
 * holds its event loop: a fixed number of threads, a bounded queue, and a time budget per task after which the
 * thread is stopped (synchronous code cannot be interrupted otherwise) and replaced when next needed.
 */
export class RuleEvaluationPool {
  private readonly threads: Thread[];
  private readonly waiting: Job[] = [];
  private closed = false;

  constructor(private readonly options: EvaluationPoolOptions) {
    this.threads = Array.from({ length: options.threads }, () => ({ ready: false }));
    for (const thread of this.threads) this.spawn(thread);
  }

  /** Runs a task on a free thread, or queues it; refuses it with `EvaluationBusy` when the queue is full. */
  run<K extends TaskName>(name: K, input: Parameters<EvaluationTasks[K]>[0]): Promise<Output<K>> {
    return new Promise((resolve, reject) => {
      const job: Job = { name, input, resolve: resolve as (value: unknown) => void, reject };
      const free = this.threads.find((thread) => !thread.job);
      if (this.closed || (!free && this.waiting.length >= this.options.queue))
        reject(new EvaluationBusy(Math.max(1, Math.ceil(this.options.budgetMs / 1000))));
      else if (free) this.start(free, job);
      else this.waiting.push(job);
    });
  }

  /** Stops every thread; what still waits or runs is refused. */
  async close() {
    this.closed = true;
    for (const job of this.waiting.splice(0)) job.reject(new EvaluationBusy(1));
    await Promise.all(this.threads.map((thread) => this.stop(thread, new EvaluationBusy(1))));
  }

  private spawn(thread: Thread) {
    const worker = new Worker(BOOT, { eval: true });
    // Idle threads do not keep the process alive; one with a task does.
    worker.unref();
    thread.worker = worker;
    thread.ready = false;
    worker.on('message', (message: WorkerMessage) => {
      if (thread.worker === worker) this.receive(thread, message);
    });
    // A thread that ends on its own (its code threw, it ran out of memory) fails its task; 'exit' follows
    // 'error', and a thread stopped here is no longer the thread's worker by then.
    const lost = (error: Error) => {
      if (thread.worker !== worker) return;
      log.error({ err: error }, 'a rule evaluation thread ended');
      void this.stop(thread, error);
      this.next(thread);
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`the thread exited with code ${code}`)));
  }

  private start(thread: Thread, job: Job) {
    thread.job = job;
    if (!thread.worker) this.spawn(thread);
    thread.worker!.ref();
    if (thread.ready) this.dispatch(thread);
  }

  /** Sends the thread its task once it is ready, so starting a thread is not counted against the budget. */
  private dispatch(thread: Thread) {
    const { name, input } = thread.job!;
    thread.timer = setTimeout(() => {
      log.warn({ task: name, budgetMs: this.options.budgetMs }, 'a rule evaluation ran over its budget');
      void this.stop(thread, new EvaluationOverBudget(this.options.budgetMs));
      this.next(thread);
    }, this.options.budgetMs);
    thread.worker!.postMessage({ name, input } satisfies TaskMessage);
  }

  private receive(thread: Thread, message: WorkerMessage) {
    if ('ready' in message) {
      thread.ready = true;
      if (thread.job) this.dispatch(thread);
      return;
    }
    const job = this.settle(thread);
    if ('error' in message) job?.reject(new Error(`rule evaluation failed: ${message.error}`));
    else job?.resolve(message.value);
    thread.worker!.unref();
    this.next(thread);
  }

  /** Takes the thread's task off it (a thread answers only the task it was given). */
  private settle(thread: Thread) {
    clearTimeout(thread.timer);
    const job = thread.job;
    thread.job = undefined;
    return job;
  }

  /** Ends a thread and refuses its task with `error`; a new thread starts when a task next needs it. */
  private async stop(thread: Thread, error: Error) {
    this.settle(thread)?.reject(error);
    const worker = thread.worker;
    thread.worker = undefined;
    await worker?.terminate();
  }

  private next(thread: Thread) {
    const job = this.closed ? undefined : this.waiting.shift();
    if (job) this.start(thread, job);
  }
}
