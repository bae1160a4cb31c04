import type { Batch, KafkaMessage } from 'kafkajs';
import type pg from 'pg';
import { sendDeadLetters, type DeadLetterSink } from '../platform/dead-letter-sink.js';
import { deadLetter } from '../platform/dead-letters.js';
import { describeFailure, isRecordFault } from '../platform/failures.js';
import { logger } from '../platform/logger.js';
import type { Applied } from './client-actor.js';
import type { ClientActors } from './client-actors.js';
import type { RecordKind } from '../rules/decode.js';
import { loadClients, type StoredProgress } from '../platform/engine-state.js';
import { commitBatch, StalePartition, storedPosition, type StoredPosition } from './progress-store.js';
import { unlockIdOf, unlockOutputs, type OutputTopics } from '../platform/unlock-records.js';
import type { Catalog } from '../rules/catalog.js';
import type { AchievementUnlocked } from '../rules/decide.js';
import type { ProgressNudged } from '../rules/nudges.js';
import type { RuleFeed } from '../platform/rule-feed.js';
import type { RedriveOutcomes } from '../platform/redrive-state.js';
import { decodeInputs, decodeRedrives } from './run-decoding.js';

export interface BatchContext {
  db: pg.Pool;
  groupId: string;
  rules: RuleFeed;
  actors: ClientActors;
  deadLetters: DeadLetterSink;
  outputs: OutputTopics;
  /** Which schema each input topic follows. */
  recordKinds: ReadonlyMap<string, RecordKind>;
  /** Where operations send dead letters back after a fix (CONTRACT §2); none when not read. */
  redriveTopic?: string;
  /** Where each `topic:partition` stands in PostgreSQL, read once per assignment and kept by each commit. */
  positions: Map<string, StoredPosition>;
}

export interface BatchOutcome {
  events: number;
  deadLetters: number;
  unlocked: AchievementUnlocked[];
}

/** A run of one partition's records, the rules in force for them, and the offset to store once applied. */
export interface Run {
  topic: string;
  partition: number;
  records: KafkaMessage[];
  nextOffset: string;
  catalog: Catalog;
  /** The rule change `catalog` is the result of. */
  ruleSeq: number;
}

export const partitionKey = (topic: string, partition: number) => `${topic}:${partition}`;

async function positionOf(ctx: BatchContext, topic: string, partition: number): Promise<StoredPosition> {
  const key = partitionKey(topic, partition);
  if (!ctx.positions.has(key))
    ctx.positions.set(key, await storedPosition(ctx.db, ctx.groupId, topic, partition));
  return ctx.positions.get(key)!;
}

/** Makes sure every client of the batch has a live actor, loading all missing clients in one query. */
async function ensureActors(ctx: BatchContext, clientIds: string[], key: string, catalog: Catalog) {
  // A loop, because an actor may be passivated while the load awaits; spawning and dispatching then happen
  // in one synchronous stretch, so no actor can be passivated between the two.
  for (
    let missing = ctx.actors.missing(clientIds);
    missing.length > 0;
    missing = ctx.actors.missing(clientIds)
  ) {
    const loaded = await loadClients(ctx.db, missing, catalog);
    for (const clientId of missing) {
      const { stored, context } = loaded.get(clientId)!;
      ctx.actors.spawn(clientId, key, stored, context);
    }
  }
}

/**
 * What a run's applied records change, to commit: clients' progress, unlocks (each with where its record sits,
 * for a replay of what follows it) and nudges.
 */
function collectEffects(topic: string, accepted: { message: KafkaMessage }[], applied: Applied[]) {
  const progress = new Map<string, StoredProgress>();
  const unlocked: AchievementUnlocked[] = [];
  const nudged: ProgressNudged[] = [];
  applied.forEach((result, i) => {
    if (!result.ok) return;
    const sourceRecord = { topic, offset: accepted[i]!.message.offset };
    for (const unlock of result.unlocked) unlocked.push({ ...unlock, sourceRecord });
    nudged.push(...result.nudged);
    const known = progress.get(result.clientId);
    if (result.changed && (!known || known.version < result.stored.version))
      progress.set(result.clientId, result.stored);
  });
  return { progress, unlocked, nudged };
}

type Effects = ReturnType<typeof collectEffects> & { redrives?: RedriveOutcomes };

async function commit(ctx: BatchContext, run: Run, effects: Effects) {
  const { topic, partition, nextOffset, ruleSeq } = run;
  const key = partitionKey(topic, partition);
  await commitBatch(ctx.db, ctx.groupId, {
    progress: effects.progress,
    unlocked: effects.unlocked,
    nudged: effects.nudged,
    catalog: run.catalog,
    announce: (unlocked) => unlockOutputs(unlocked, run.catalog, ctx.outputs),
    ...(effects.redrives ? { redrives: effects.redrives } : {}),
    position: {
      topic,
      partition,
      nextOffset,
      fromOffset: run.records[0]!.offset,
      ruleSeq,
      found: ctx.positions.get(key)!,
    },
  });
  ctx.positions.set(key, { nextOffset, ruleSeq, epoch: ctx.positions.get(key)!.epoch });
}

/**
 * A line per committed unlock naming the record that caused it: where a search by the unlock's correlation id
 * starts (or by the bank's event id, which finds the correlation id).
 */
function logUnlocks(run: Run, accepted: { message: KafkaMessage }[], applied: Applied[]) {
  const log = logger('processor');
  applied.forEach((result, i) => {
    if (!result.ok) return;
    const record = { topic: run.topic, partition: run.partition, offset: accepted[i]!.message.offset };
    for (const { clientId, achievementId, ruleVersion, sourceEventId, occurrence } of result.unlocked) {
      const correlationId = unlockIdOf(clientId, achievementId, occurrence);
      log.info(
        { correlationId, achievementId, occurrence, ruleVersion, eventId: sourceEventId, record },
        'achievement unlocked',
      );
    }
  });
}

/**
 * Applies a run of records and commits their effects with the run's next offset: bad records go to the DLQ
 * with their reason, the rest to their client actors. If anything fails before the commit, the run's actors
 * are dropped, so a retry starts again from the stored progress.
 */
async function applyRun(ctx: BatchContext, run: Run, kind: RecordKind | 'redrive'): Promise<BatchOutcome> {
  const { topic, partition } = run;
  const { accepted, letters, redrives } =
    kind === 'redrive' ? await decodeRedrives(ctx, run) : decodeInputs(run, kind);
  const clientIds = accepted.map(({ event }) => event.clientId);
  try {
    await ensureActors(ctx, clientIds, partitionKey(topic, partition), run.catalog);
    const applied = await ctx.actors.applyAll(
      accepted.map(({ event }) => event),
      run.catalog,
    );
    applied.forEach((result, i) => {
      const { message, source } = accepted[i]!;
      if (result.ok) {
        if (source) redrives!.accepted.push(source);
      } else if (source) redrives!.refused.push({ source, error: result.error });
      else letters.push(deadLetter({ topic, partition, message }, result.error));
    });
    await sendDeadLetters(ctx.deadLetters, letters);
    const effects = collectEffects(topic, accepted, applied);
    await commit(ctx, run, { ...effects, ...(redrives ? { redrives } : {}) });
    logUnlocks(run, accepted, applied);
    return { events: accepted.length, deadLetters: letters.length, unlocked: effects.unlocked };
  } catch (error) {
    ctx.actors.discard(clientIds);
    throw error;
  }
}

/** Sends one record PostgreSQL or Kafka refused to the DLQ with the reason, and moves the partition past it. */
async function setAside(ctx: BatchContext, run: Run, error: unknown): Promise<BatchOutcome> {
  const { topic, partition } = run;
  const message = run.records[0]!;
  const reason = `the engine could not store this record: ${describeFailure(error)}`;
  logger('batch').warn({ topic, partition, offset: message.offset, reason }, 'record set aside to the DLQ');
  await sendDeadLetters(ctx.deadLetters, [deadLetter({ topic, partition, message }, reason)]);
  await commit(ctx, run, { progress: new Map(), unlocked: [], nudged: [] });
  return { events: 0, deadLetters: 1, unlocked: [] };
}

/**
 * Applies a run; when a record's content makes the commit fail (a value PostgreSQL refuses, a record the
 * broker will not take), halves the run until that record stands alone and sets it aside, so no record can
 * stop a partition. Other failures (a server down) are thrown for the caller to retry: the records are kept.
 */
async function applyIsolating(
  ctx: BatchContext,
  run: Run,
  kind: RecordKind | 'redrive',
): Promise<BatchOutcome> {
  try {
    return await applyRun(ctx, run, kind);
  } catch (error) {
    if (!isRecordFault(error)) throw error;
    if (run.records.length === 1) return setAside(ctx, run, error);
    const half = Math.ceil(run.records.length / 2);
    const second = run.records.slice(half);
    const first = await applyIsolating(
      ctx,
      { ...run, records: run.records.slice(0, half), nextOffset: second[0]!.offset },
      kind,
    );
    const rest = await applyIsolating(ctx, { ...run, records: second }, kind);
    return {
      events: first.events + rest.events,
      deadLetters: first.deadLetters + rest.deadLetters,
      unlocked: [...first.unlocked, ...rest.unlocked],
    };
  }
}

/**
 * The rules for a partition's next run: every change the partition already applied, and any newer change this
 * process knows of, which then goes live at the run's first offset (recorded with the run's commit).
 */
async function rulesFor(ctx: BatchContext, stored: StoredPosition) {
  let book = ctx.rules.book();
  // Another instance applied a change here that this one has not read yet: read it before going on.
  if (book.latestSeq < stored.ruleSeq) book = await ctx.rules.refresh();
  const ruleSeq = Math.max(book.latestSeq, stored.ruleSeq);
  return { catalog: book.catalogAt(ruleSeq), ruleSeq };
}

/**
 * One partition's batch, exactly once in effect: records below the offset stored in PostgreSQL were already
 * applied and are skipped; the rest are applied and committed with the partition's next offset.
 */
export async function processBatch(batch: Batch, ctx: BatchContext): Promise<BatchOutcome> {
  const { topic, partition } = batch;
  const stored = await positionOf(ctx, topic, partition);
  const records = batch.messages.filter(
    (message) => stored.nextOffset === undefined || BigInt(message.offset) >= BigInt(stored.nextOffset),
  );
  if (records.length === 0) return { events: 0, deadLetters: 0, unlocked: [] };
  const kind = topic === ctx.redriveTopic ? 'redrive' : ctx.recordKinds.get(topic);
  if (!kind) throw new Error(`the engine does not read topic ${topic}`);
  const nextOffset = (BigInt(batch.lastOffset()) + 1n).toString();
  try {
    return await applyIsolating(
      ctx,
      { topic, partition, records, nextOffset, ...(await rulesFor(ctx, stored)) },
      kind,
    );
  } catch (error) {
    if (error instanceof StalePartition) {
      // Whatever this instance holds of the partition's clients may be behind what another owner, or a
      // backfill's merge, stored: every topic read here carries them, so the actors of each are let go.
      const topics = [...ctx.recordKinds.keys(), ...(ctx.redriveTopic ? [ctx.redriveTopic] : [])];
      const stale = new Set(topics.map((input) => partitionKey(input, partition)));
      for (const stalePartition of stale) ctx.positions.delete(stalePartition);
      ctx.actors.releasePartitions((other) => !stale.has(other));
    }
    throw error;
  }
}
