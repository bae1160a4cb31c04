import { parentPort, workerData } from 'node:worker_threads';
import { createKafka } from '../platform/kafka.js';
import { createPool } from '../platform/postgres.js';
import { startRuleFeed, type RuleFeed } from '../platform/rule-feed.js';
import { mergePartition } from './backfill-merge-step.js';
import { replayChunk, type ChunkDependencies } from './replay-chunk.js';
import { loadJob } from './replay-jobs.js';
import { ReplayStates } from './replay-states.js';
import {
  failureOf,
  type FromThread,
  type ReplayThreadSetup,
  type ThreadWork,
  type ToThread,
} from './replay-threads.js';

/** A replay thread (see replay-threads.ts): runs the partitions' work it is sent, with connections of its own. */

const setup = workerData as ReplayThreadSetup;
const port = parentPort!;
const db = createPool(setup.databaseUrl, setup.schema);
const kafka = createKafka('achievements-replays', setup.brokers, setup.kafkaSecurity);
/** Started with the first work, and again after a start that failed (PostgreSQL not reachable yet). */
let rules: Promise<RuleFeed> | undefined;
const ruleFeed = () =>
  (rules ??= startRuleFeed(db).catch((error: unknown) => {
    rules = undefined;
    throw error;
  }));
const states = new ReplayStates(db, setup.zone);
const running = new Set<number>();
const cancelled = new Set<number>();

const send = (message: FromThread) => port.postMessage(message);

async function run(id: number, work: ThreadWork) {
  const feed = await ruleFeed();
  const job = await loadJob(db, work.replayId, feed.book().everLive());
  const parts: ChunkDependencies = {
    db,
    kafka,
    states,
    heartbeat: (details) => send({ type: 'heartbeat', id, details }),
    cancelled: () => cancelled.has(id),
    replayed: (records) => send({ type: 'replayed', records }),
  };
  return work.kind === 'chunk'
    ? replayChunk(parts, job, work.partition, work.chunk)
    : mergePartition({ ...parts, rules: feed }, job, work.partition);
}

port.on('message', (message: ToThread) => {
  if (message.type === 'cancel') {
    if (running.has(message.id)) cancelled.add(message.id);
    return;
  }
  const { id, work } = message;
  running.add(id);
  run(id, work)
    .then(
      (result) => send({ type: 'done', id, result }),
      (error: unknown) => send({ type: 'failed', id, error: failureOf(error) }),
    )
    .finally(() => {
      running.delete(id);
      cancelled.delete(id);
    });
});
