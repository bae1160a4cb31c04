import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Kafka } from 'kafkajs';
import type pg from 'pg';
import { BeyondRetention, historyEnds, historyFrom } from '../platform/history-span.js';
import { inTransaction } from '../platform/postgres.js';
import type { RuleFeed } from '../platform/rule-feed.js';
import type { OutputTopics } from '../platform/unlock-records.js';
import { awardUnlocks } from './backfill-award-step.js';
import { mergePartition, type MergeOutcome } from './backfill-merge-step.js';
import { replayChunk, targetOf, type ChunkDependencies } from './replay-chunk.js';
import type { BackfillPhase, PartitionProgress } from './replay-contract.js';
import { loadJob, loadPartitions, progressOf, topicsOf, writePlan, type ReplayJob } from './replay-jobs.js';
import { ReplayStates } from './replay-states.js';
import type { ReplayThreads, ThreadWork } from './replay-threads.js';
import { metrics } from '../platform/metrics.js';
import type { RewardStart } from './reward-starter.js';

export interface ReplayActivityDependencies {
  db: pg.Pool;
  kafka: Kafka;
  /** The rule book, to refuse merging a version no longer live, and to know what a rule's prerequisites are. */
  rules: RuleFeed;
  zone: string;
  /** Where a backfill's rewards start: the backfill reward task queue. */
  rewards: RewardStart;
  outputs: OutputTopics;
  awardsPerSecond: number;
  /** Where partitions are replayed and merged; on the activity's own thread when absent. */
  threads?: ReplayThreads;
}

async function setPhase(db: pg.Pool, replayId: string, phase: BackfillPhase) {
  await db.query('UPDATE replays SET phase = $2 WHERE replay_id = $1 AND phase <> $2', [replayId, phase]);
}

/** What a finished replay found: a dry run's clients per achievement and points; a backfill's unlocks. */
async function resultOf(db: pg.Pool, job: ReplayJob) {
  const partitions = await loadPartitions(db, job.replayId);
  const eventsReplayed = partitions.reduce((sum, p) => sum + p.eventsReplayed, 0);
  if (job.kind === 'dry-run') {
    const clients = Object.fromEntries(job.rule.levels.map((level) => [level.achievementId, 0]));
    let points = 0;
    for (const { summary } of partitions) {
      // A partition cancelled before its cut has no summary: a cancelled dry run reports what finished.
      if (!summary) continue;
      const found = summary as { clients: Record<string, number>; points: number };
      for (const [id, count] of Object.entries(found.clients)) clients[id] = (clients[id] ?? 0) + count;
      points += found.points;
    }
    return { eventsReplayed, clients, points };
  }
  const merged = partitions.flatMap((p) => (p.status === 'merged' ? [p.summary as MergeOutcome] : []));
  const { rows } = await db.query<{ points_spent: string }>(
    'SELECT points_spent FROM replays WHERE replay_id = $1',
    [job.replayId],
  );
  return {
    eventsReplayed,
    clientsTouched: merged.reduce((sum, p) => sum + p.clientsTouched, 0),
    unlocksFound: merged.reduce((sum, p) => sum + p.unlocksFound, 0),
    unlocksCorrected: merged.reduce((sum, p) => sum + p.unlocksCorrected, 0),
    pointsGranted: Number(rows[0]!.points_spent),
  };
}

/**
 * Runs an activity's work heartbeating every second from its first moment, with the latest details it
 * reported: a worker that dies is noticed within the heartbeat timeout, and one that lives is never taken for
 * dead (the server would run the activity again beside it).
 */
async function alive<T>(work: (report: (details: unknown) => void) => Promise<T>): Promise<T> {
  const context = Context.current();
  let details: unknown;
  context.heartbeat();
  const timer = setInterval(() => context.heartbeat(details), 1_000);
  try {
    return await work((latest) => (details = latest));
  } finally {
    clearInterval(timer);
  }
}

/**
 * The replay activities (dry runs and backfills), built from their dependencies. Each is safe to repeat: what
 * a partition did is in PostgreSQL, so a retried activity, or one on another worker, continues from there.
 */
export function createReplayActivities(deps: ReplayActivityDependencies) {
  const states = new ReplayStates(deps.db, deps.zone);
  const cancelled = () => Context.current().cancellationSignal.aborted;
  const jobOf = (replayId: string) => loadJob(deps.db, replayId, deps.rules.book().everLive());
  const replayed = (records: number) => metrics.backfillProgress.inc(records);
  const withParts = <T>(work: (parts: ChunkDependencies) => Promise<T>) =>
    alive((heartbeat) => work({ db: deps.db, kafka: deps.kafka, states, heartbeat, cancelled, replayed }));
  const onThread = <T extends PartitionProgress | MergeOutcome>(threads: ReplayThreads, work: ThreadWork) =>
    alive((heartbeat) => threads.run<T>(work, heartbeat, Context.current().cancellationSignal));
  return {
    /** Plans a replay: where each partition's history from the replay's time begins, and a dry run's end. */
    async planReplay({ replayId }: { replayId: string }): Promise<PartitionProgress[]> {
      const job = await jobOf(replayId);
      const names = topicsOf(job);
      let from: bigint[][];
      try {
        from = await historyFrom(deps.kafka, names, job.fromMs);
      } catch (error) {
        if (error instanceof BeyondRetention)
          throw ApplicationFailure.nonRetryable(error.message, 'BeyondRetention');
        throw error;
      }
      await writePlan(
        deps.db,
        replayId,
        from,
        job.kind === 'dry-run' ? await historyEnds(deps.kafka, names) : undefined,
      );
      await setPhase(deps.db, replayId, 'replaying');
      const rows = await loadPartitions(deps.db, replayId);
      return Promise.all(rows.map(async (row) => progressOf(row, await targetOf(deps.db, job, row))));
    },

    /** Replays a partition for up to a chunk (to its end without one): see `replayChunk`. */
    async replayChunk(input: {
      replayId: string;
      partition: number;
      chunk?: { ms?: number; records?: number };
    }): Promise<PartitionProgress> {
      const chunk = input.chunk ?? {};
      if (deps.threads) return onThread<PartitionProgress>(deps.threads, { kind: 'chunk', ...input, chunk });
      const job = await jobOf(input.replayId);
      return withParts((parts) => replayChunk(parts, job, input.partition, chunk));
    },

    /** Merges a caught-up partition of a backfill into live state: see `mergePartition`. */
    async mergePartition(input: { replayId: string; partition: number }): Promise<MergeOutcome> {
      await setPhase(deps.db, input.replayId, 'merging');
      if (deps.threads) return onThread<MergeOutcome>(deps.threads, { kind: 'merge', ...input });
      const job = await jobOf(input.replayId);
      return withParts((parts) => mergePartition({ ...parts, rules: deps.rules }, job, input.partition));
    },

    /** Awards what a backfill found, for up to `maxMs`: see `awardUnlocks`. */
    async awardUnlocks(input: { replayId: string; maxMs: number }) {
      await setPhase(deps.db, input.replayId, 'awarding');
      const job = await jobOf(input.replayId);
      const { db, rewards, outputs, awardsPerSecond: perSecond } = deps;
      return alive((heartbeat) =>
        awardUnlocks({ db, rewards, outputs, perSecond, heartbeat }, job, input.maxMs),
      );
    },

    /** Records how a replay ended, with what it found; its checkpoints are dropped. */
    async finishReplay(input: { replayId: string; status: 'done' | 'cancelled' | 'failed'; error?: string }) {
      const result = await resultOf(deps.db, await jobOf(input.replayId));
      await inTransaction(deps.db, async (client) => {
        await client.query(
          `UPDATE replays SET status = $2, phase = CASE WHEN $2 = 'failed' THEN phase ELSE $2 END, result = $3,
                  error = $4, finished_at = now()
            WHERE replay_id = $1`,
          [input.replayId, input.status, result, input.error ?? null],
        );
        // After the status, which a checkpoint in flight waits for: none can write one back after this.
        await client.query('DELETE FROM replay_client_state WHERE replay_id = $1', [input.replayId]);
      });
      return result;
    },
  };
}

export type ReplayActivities = ReturnType<typeof createReplayActivities>;
