import type { KafkaMessage } from 'kafkajs';
import { sendDeadLetters } from '../platform/dead-letter-sink.js';
import { deadLetter } from '../platform/dead-letters.js';
import { describeFailure, isRecordFault } from '../platform/failures.js';
import { logger } from '../platform/logger.js';
import { loadClients } from '../platform/engine-state.js';
import { unlockIdOf, unlockOutputs, type BudgetedUnlock } from '../platform/unlock-records.js';
import type { RecordKind } from '../rules/decode.js';
import type { Catalog } from '../rules/catalog.js';
import type { AchievementUnlocked } from '../rules/decide.js';
import type { ProgressNudged } from '../rules/nudges.js';
import type { BatchContext, BatchOutcome, Run } from './batch.js';
import type { Applied } from './client-actor.js';
import type { PartitionLedger } from './partition-ledger.js';
import { storeDecisions } from './progress-store.js';
import { withClient } from '../platform/postgres.js';
import { decodeInputs, decodeRedrives } from './run-decoding.js';

/**
 * One run of a partition's records through the client actors: decoded, applied, its unlocks stored at once, and
 * a record whose content PostgreSQL or Kafka refuses set aside alone.
 */

/** Makes sure every client of the run has a live actor, loading all missing clients in one query. */
async function ensureActors(
  ctx: BatchContext,
  ledger: PartitionLedger,
  clientIds: string[],
  catalog: Catalog,
) {
  // A loop, because an actor may be passivated while the load awaits; spawning and dispatching then happen
  // in one synchronous stretch, so no actor can be passivated between the two.
  for (
    let missing = ctx.actors.missing(clientIds);
    missing.length > 0;
    missing = ctx.actors.missing(clientIds)
  ) {
    const loaded = await loadClients(ctx.db, missing, catalog, ledger.segmentSeq);
    for (const clientId of missing) {
      const { stored, context } = loaded.get(clientId)!;
      ctx.actors.spawn(clientId, ledger.partition, stored, context);
    }
  }
}

/** A run's unlocks, each with where its record sits (for a replay of what follows it), and its nudges. */
function collectEffects(topic: string, accepted: { message: KafkaMessage }[], applied: Applied[]) {
  const unlocked: AchievementUnlocked[] = [];
  const nudged: ProgressNudged[] = [];
  applied.forEach((result, i) => {
    if (!result.ok) return;
    const sourceRecord = { topic, offset: accepted[i]!.message.offset };
    for (const unlock of result.unlocked) unlocked.push({ ...unlock, sourceRecord });
    nudged.push(...result.nudged);
  });
  return { unlocked, nudged };
}

/**
 * A line per stored unlock naming the record that caused it: where a search by the unlock's correlation id
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
 * Applies a run of records: bad records go to the DLQ with their reason, the rest to their client actors. Its
 * unlocks (and redrive outcomes) are stored at once; its progress waits in the actors for the partition's
 * checkpoint. If anything fails before the unlocks are stored, the run's actors are put back as they were, so a
 * retry applies each event once.
 */
async function applyRun(
  ctx: BatchContext,
  ledger: PartitionLedger,
  run: Run,
  kind: RecordKind | 'redrive',
): Promise<BatchOutcome> {
  const { topic, partition } = run;
  const { accepted, letters, redrives } =
    kind === 'redrive' ? await decodeRedrives(ctx, run) : decodeInputs(run, kind);
  const clientIds = accepted.map(({ event }) => event.clientId);
  await ensureActors(ctx, ledger, clientIds, run.catalog);
  const before = ctx.actors.snapshot(clientIds);
  try {
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
    const { unlocked, nudged } = collectEffects(topic, accepted, applied);
    const suspects = ctx.suspects.get(partition);
    const probe = ctx.actors.unstoredOf(
      suspects ? clientIds.filter((clientId) => suspects.has(clientId)) : [],
    );
    const position = ledger.position(topic);
    // A run before the decided offset is one whose unlocks and redrive outcomes were stored already.
    const decided = position.stored?.decidedOffset;
    const storedBefore = decided !== undefined && BigInt(run.nextOffset) <= BigInt(decided);
    if (((unlocked.length > 0 || redrives) && !storedBefore) || probe.size > 0) {
      // Fenced by the row as it is when its turn among the partition's position writes comes (a checkpoint
      // being stored may move it first), and noted in the ledger within that turn, before a checkpoint's last
      // step reads it. The connection is taken before the turn: a checkpoint waiting for its turn holds one, and
      // the write it waits for must not wait for a connection in turn.
      const decisions = {
        topic,
        partition,
        decidedOffset: run.nextOffset,
        unlocked,
        probe,
        catalog: run.catalog,
        announce: (budgeted: BudgetedUnlock[]) => unlockOutputs(budgeted, run.catalog, ctx.outputs),
        ...(redrives ? { redrives } : {}),
      };
      await withClient(ctx.db, (connection) =>
        ctx.positionWrites.run(partition, async () => {
          const found = position.stored!;
          position.stored = await storeDecisions(
            connection,
            ctx.groupId,
            { ...decisions, found },
            ctx.compressWal,
          );
        }),
      );
    }
    ledger.applied(topic, run.nextOffset, run.records.length, nudged, Date.now());
    logUnlocks(run, accepted, applied);
    return { events: accepted.length, deadLetters: letters.length, unlocked };
  } catch (error) {
    ctx.actors.restore(before);
    throw error;
  }
}

/** Sends one record PostgreSQL or Kafka refused to the DLQ with the reason, and moves the partition past it. */
async function setAside(
  ctx: BatchContext,
  ledger: PartitionLedger,
  run: Run,
  error: unknown,
): Promise<BatchOutcome> {
  const { topic, partition } = run;
  const message = run.records[0]!;
  const reason = `the engine could not store this record: ${describeFailure(error)}`;
  logger('batch').warn({ topic, partition, offset: message.offset, reason }, 'record set aside to the DLQ');
  await sendDeadLetters(ctx.deadLetters, [deadLetter({ topic, partition, message }, reason)]);
  ledger.applied(topic, run.nextOffset, 1, [], Date.now());
  return { events: 0, deadLetters: 1, unlocked: [] };
}

/**
 * Applies a run; when a record's content makes storing its unlocks fail (a value PostgreSQL refuses, a record
 * the broker will not take), halves the run until that record stands alone and sets it aside, so no record can
 * stop a partition. Other failures (a server down) are thrown for the caller to retry: the records are kept.
 */
export async function applyIsolating(
  ctx: BatchContext,
  ledger: PartitionLedger,
  run: Run,
  kind: RecordKind | 'redrive',
): Promise<BatchOutcome> {
  try {
    return await applyRun(ctx, ledger, run, kind);
  } catch (error) {
    if (!isRecordFault(error)) throw error;
    if (run.records.length === 1) return setAside(ctx, ledger, run, error);
    const half = Math.ceil(run.records.length / 2);
    const second = run.records.slice(half);
    const first = await applyIsolating(
      ctx,
      ledger,
      { ...run, records: run.records.slice(0, half), nextOffset: second[0]!.offset },
      kind,
    );
    return sum(first, await applyIsolating(ctx, ledger, { ...run, records: second }, kind));
  }
}

export const sum = (a: BatchOutcome, b: BatchOutcome): BatchOutcome => ({
  events: a.events + b.events,
  deadLetters: a.deadLetters + b.deadLetters,
  unlocked: [...a.unlocked, ...b.unlocked],
});
