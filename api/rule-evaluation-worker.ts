/**
 * A rule evaluation thread of the API (started by rule-evaluation-pool.ts): it says when it is ready, then runs
 * one task at a time and answers each with its value or the error that stopped it.
 */
import { parentPort } from 'node:worker_threads';
import { evaluationTasks } from './rule-evaluation-tasks.js';

/** A task as the pool sends it: one of `evaluationTasks` by name, with its input. */
export interface TaskMessage {
  name: keyof typeof evaluationTasks;
  input: unknown;
}

/** What the thread sends back: that it is ready, or a task's outcome. */
export type WorkerMessage = { ready: true } | { value: unknown } | { error: string };

const port = parentPort!;
const answer = (message: WorkerMessage) => port.postMessage(message);

port.on('message', ({ name, input }: TaskMessage) => {
  try {
    const run = evaluationTasks[name] as (input: unknown) => unknown;
    answer({ value: run(input) });
  } catch (error) {
    answer({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  }
});
answer({ ready: true });
