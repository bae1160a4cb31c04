import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { Kafka } from 'kafkajs';
import type pg from 'pg';
import { temporalReplays } from '../../api/replay-starter.js';
import { postgresReplays } from '../../api/replay-store.js';
import { postgresRuleAdmin } from '../../api/rule-admin-store.js';
import { createTopics } from '../../platform/topic-creation.js';
import { topicsOf, type InputTopics } from '../../platform/topics.js';
import { taskQueuesOf } from '../../temporal.config.js';
import type { ReplayStatus } from '../../workflows/replay-contract.js';
import { killGroup, startRole } from '../children.js';

/**
 * A rule none of the catalog's is: six pharmacy purchases (MCC 5912) in a calendar month. Its id is the run's
 * own, so its backfill's workflow id is too (Temporal keeps every run's history).
 */
const ruleOf = (runId: string) => ({
  id: `pharmacy-regular-${runId}`,
  trigger: { on: 'transaction' },
  filter: { kinds: ['purchase'], categoryIds: [5912] },
  measure: { type: 'count' },
  window: { type: 'calendar', unit: 'month' },
  levels: [
    {
      achievementId: 'pharmacy-regular',
      target: 6,
      points: 30,
      title: { en: 'Pharmacy regular', uk: 'Постійний клієнт аптеки', he: 'לקוח קבוע בבית מרקחת' },
      description: {
        en: 'Six pharmacy purchases in one calendar month.',
        uk: 'Шість покупок в аптеці за один календарний місяць.',
        he: 'שש קניות בבית מרקחת בחודש קלנדרי אחד.',
      },
    },
  ],
});

const ACTOR = { actorId: 'bench', actorRole: 'admin' } as const;

export interface ReplayFigures {
  dryRun: { seconds: number; clients: number; points: number };
  backfill: { replaySeconds: number; mergeSeconds: number; totalSeconds: number; unlocksFound: number };
  workers: number;
}

async function phasesOf(db: pg.Pool, replayId: string, handle: Promise<unknown>) {
  const seen = new Map<string, number>();
  const started = performance.now();
  let done = false;
  void handle.finally(() => (done = true));
  while (!done) {
    const { rows } = await db.query<{ phase: string }>('SELECT phase FROM replays WHERE replay_id = $1', [
      replayId,
    ]);
    const phase = rows[0]?.phase;
    if (phase && !seen.has(phase)) seen.set(phase, performance.now());
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await handle;
  return { started, seen, finished: performance.now() };
}

/**
 * (l, m): a new rule over the workload's history, in a worker process of its own on a task queue of its own:
 * a dry run over every record, then a backfill from the first one merged into the live state the engine
 * benchmark stored (its consumer group's positions), awarding with `maxPoints: 0` so no reward workflow is
 * started and the figure is the replay's and the merge's alone.
 */
export async function measureReplays(options: {
  kafka: Kafka;
  db: pg.Pool;
  /** The environment of the engine benchmarked: its stack, schema and topics. */
  roleEnv: Record<string, string>;
  temporalAddress: string;
  topics: InputTopics;
  groupId: string;
  runId: string;
  concurrency: number;
}): Promise<ReplayFigures> {
  const { db, kafka, topics } = options;
  const rule = ruleOf(options.runId);
  // A worker of its own: its reward starter reads an unlock topic of its own (empty), not the one the engine
  // benchmark filled, so no reward workflow runs beside the replay.
  const own = `bench-${options.runId}-replays`;
  await createTopics(
    kafka,
    Object.values(topicsOf(`${own}.`)).map((topic) => ({ topic, numPartitions: 1 })),
  );
  const taskQueue = taskQueuesOf(own).replays;
  const worker = await startRole('worker', {
    ...options.roleEnv,
    KAFKA_TOPIC_PREFIX: `${own}.`,
    TEMPORAL_TASK_QUEUE_PREFIX: own,
    REPLAY_CONCURRENCY: String(options.concurrency),
  });
  const connection = await Connection.connect({ address: options.temporalAddress });
  const temporal = new Client({ connection });
  const starter = temporalReplays({
    kafka,
    temporal,
    taskQueue,
    topics,
    groupId: options.groupId,
    run: { chunkMs: 30_000, maxHistoryLength: 10_000, heartbeatTimeoutMs: 30_000 },
  });
  try {
    const dryRunId = randomUUID();
    const dryRunWorkflow = await postgresReplays(db).createDryRun(
      { replayId: dryRunId, document: { ...rule, version: 1 }, fromMs: 0, topics },
      ACTOR,
    );
    const dryStarted = performance.now();
    await starter.start('dry-run', dryRunId, dryRunWorkflow);
    const dry = (await temporal.workflow.getHandle(dryRunWorkflow).result()) as ReplayStatus;
    const dryRunSeconds = (performance.now() - dryStarted) / 1000;
    const { rows: dryRows } = await db.query<{ result: { clients: Record<string, number>; points: number } }>(
      'SELECT result FROM replays WHERE replay_id = $1',
      [dryRunId],
    );
    if (dry.phase !== 'done') throw new Error(`the dry run ended ${dry.phase}`);

    const store = postgresRuleAdmin(db, { zone: 'Europe/Kyiv', configuredPartners: () => [] });
    const created = await store.create(rule, ACTOR);
    if (!created.ok) throw new Error(`the benchmark rule was refused: ${JSON.stringify(created.problems)}`);
    const replayId = randomUUID();
    const activation = await store.activate(rule.id, 1, ACTOR, {
      replayId,
      fromMs: 0,
      policy: { notify: false, maxPoints: 0 },
      topics,
      groupId: options.groupId,
    });
    if (!('backfill' in activation) || !activation.backfill)
      throw new Error(`activation: ${activation.outcome}`);
    await starter.start('backfill', replayId, activation.backfill.workflowId);
    const result = temporal.workflow
      .getHandle(activation.backfill.workflowId)
      .result() as Promise<ReplayStatus>;
    const { started, seen, finished } = await phasesOf(db, replayId, result);
    const status = await result;
    const at = (phase: string) => seen.get(phase) ?? finished;
    return {
      dryRun: {
        seconds: dryRunSeconds,
        clients: dryRows[0]!.result.clients['pharmacy-regular']!,
        points: dryRows[0]!.result.points,
      },
      backfill: {
        replaySeconds: (at('merging') - started) / 1000,
        mergeSeconds: (at('awarding') - at('merging')) / 1000,
        totalSeconds: (finished - started) / 1000,
        unlocksFound: status.unlocksFound,
      },
      workers: options.concurrency,
    };
  } finally {
    killGroup(worker, 'SIGTERM');
    await connection.close();
  }
}
