import type { Batch, Message, Producer } from 'kafkajs';
import type pg from 'pg';
import { TOPICS } from '../platform/topics.js';
import type { Applied } from './client-actor.js';
import type { ClientActors } from './client-actors.js';
import { deadLetter } from './dead-letters.js';
import { decodeRecord, type InputEvent, type RecordKind } from './decode.js';
import {
  commitBatch,
  loadProgress,
  storedOffset,
  type OutputTopics,
  type StoredProgress,
} from './progress-store.js';
import type { Catalog } from './rules/catalog.js';
import type { AchievementUnlocked } from './rules/decide.js';

export interface BatchContext {
  db: pg.Pool;
  groupId: string;
  catalog: Catalog;
  actors: ClientActors;
  producer: Producer;
  outputs: OutputTopics;
  /** Which schema each input topic follows. */
  recordKinds: ReadonlyMap<string, RecordKind>;
  /** Next offsets stored in PostgreSQL per `topic:partition`, read once per assignment. */
  storedOffsets: Map<string, string | undefined>;
}

export interface BatchOutcome {
  events: number;
  deadLetters: number;
  unlocked: AchievementUnlocked[];
}

export const partitionKey = (topic: string, partition: number) => `${topic}:${partition}`;

async function nextStoredOffset(ctx: BatchContext, topic: string, partition: number) {
  const key = partitionKey(topic, partition);
  if (!ctx.storedOffsets.has(key))
    ctx.storedOffsets.set(key, await storedOffset(ctx.db, ctx.groupId, topic, partition));
  return ctx.storedOffsets.get(key);
}

/** Makes sure every client of the batch has a live actor, loading all missing progress in one query. */
async function ensureActors(ctx: BatchContext, clientIds: string[], key: string) {
  // A loop, because an actor may be passivated while the load awaits; spawning and dispatching then happen
  // in one synchronous stretch, so no actor can be passivated between the two.
  for (
    let missing = ctx.actors.missing(clientIds);
    missing.length > 0;
    missing = ctx.actors.missing(clientIds)
  ) {
    const stored = await loadProgress(ctx.db, missing);
    for (const clientId of missing) ctx.actors.spawn(clientId, key, stored.get(clientId));
  }
}

function collectEffects(applied: Applied[]) {
  const progress = new Map<string, StoredProgress>();
  const unlocked: AchievementUnlocked[] = [];
  for (const result of applied) {
    if (!result.ok) continue;
    unlocked.push(...result.unlocked);
    const known = progress.get(result.clientId);
    if (result.changed && (!known || known.version < result.stored.version))
      progress.set(result.clientId, result.stored);
  }
  return { progress, unlocked };
}

/**
 * One partition's batch, exactly once in effect: records below the offset stored in PostgreSQL were already
 * applied and are skipped; bad records go to the DLQ with their reason; the rest go to their client actors;
 * then progress, unlocks and the new offset are committed together. If anything fails before that commit, the
 * batch's actors are dropped, so the retried batch starts again from the stored progress.
 */
export async function processBatch(batch: Batch, ctx: BatchContext): Promise<BatchOutcome> {
  const { topic, partition } = batch;
  const key = partitionKey(topic, partition);
  const stored = await nextStoredOffset(ctx, topic, partition);
  const fresh = batch.messages.filter(
    (message) => stored === undefined || BigInt(message.offset) >= BigInt(stored),
  );
  if (fresh.length === 0) return { events: 0, deadLetters: 0, unlocked: [] };

  const kind = ctx.recordKinds.get(topic);
  if (!kind) throw new Error(`the engine does not read topic ${topic}`);
  const deadLetters: Message[] = [];
  const accepted: { event: InputEvent; index: number }[] = [];
  fresh.forEach((message, index) => {
    const decoded = decodeRecord(kind, message.key, message.value);
    if (decoded.ok) accepted.push({ event: decoded.event, index });
    else deadLetters.push(deadLetter({ topic, partition, message }, decoded.error));
  });

  const clientIds = accepted.map(({ event }) => event.clientId);
  try {
    await ensureActors(ctx, clientIds, key);
    const applied = await Promise.all(accepted.map(({ event }) => ctx.actors.apply(event)));
    applied.forEach((result, i) => {
      if (!result.ok)
        deadLetters.push(deadLetter({ topic, partition, message: fresh[accepted[i]!.index]! }, result.error));
    });
    if (deadLetters.length > 0) await ctx.producer.send({ topic: TOPICS.deadLetters, messages: deadLetters });
    const { progress, unlocked } = collectEffects(applied);
    const nextOffset = (BigInt(batch.lastOffset()) + 1n).toString();
    await commitBatch(
      ctx.db,
      ctx.groupId,
      { progress, unlocked, position: { topic, partition, nextOffset } },
      ctx.catalog,
      ctx.outputs,
    );
    ctx.storedOffsets.set(key, nextOffset);
    return { events: accepted.length, deadLetters: deadLetters.length, unlocked };
  } catch (error) {
    ctx.actors.discard(clientIds);
    throw error;
  }
}
