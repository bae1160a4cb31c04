import type { Kafka, KafkaMessage } from 'kafkajs';
import type pg from 'pg';
import type { Catalog } from '../../rules/catalog.js';
import { decide } from '../../rules/decide.js';
import { decodeRecord } from '../../rules/decode.js';
import { initialProgress, type ClientProgress } from '../../rules/progress.js';
import { unlockIdOf } from '../../platform/unlock-records.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { readTopic, topicEnds } from './engine.js';

/** Every record of `topic` now, each partition in offset order. */
export async function wholeTopic(kafka: Kafka, topic: string) {
  const ends = await topicEnds(kafka, topic);
  const total = ends.reduce((sum, end) => sum + Number(end.offset), 0);
  if (total === 0) return [];
  return readTopic(
    kafka,
    topic,
    ends.map(({ partition }) => ({ partition, offset: '0' })),
    () => true,
    (seen) => seen.length >= total,
    120_000,
  );
}

/** Rules and the Kafka time they count from: 0 for all of history, a backfill's `from` for its rule. */
export interface RulesSince {
  catalog: Catalog;
  sinceMs: number;
}

/**
 * What `decide` unlocks over transaction `records` (each partition's in offset order), decoded as the engine
 * decodes them (with their Kafka time), each client counted from scratch under `catalog`.
 */
export function unlockedOver(records: KafkaMessage[], catalog: Catalog) {
  const progress = new Map<string, ClientProgress>();
  return records.flatMap((record) => {
    const decoded = decodeRecord('transaction', record.key, record.value, Number(record.timestamp));
    if (!decoded.ok) throw new Error(`the load wrote a record the engine refuses: ${decoded.error}`);
    const { clientId } = decoded.event;
    const decision = decide(
      progress.get(clientId) ?? initialProgress(),
      decoded.event,
      catalog,
      'Europe/Kyiv',
    );
    progress.set(clientId, decision.progress);
    return decision.unlocked;
  });
}

/**
 * The unlocks `decide` finds in the transactions topic as it holds them now (lines "client achievement"):
 * through each rule set from its time on.
 */
export async function unlocksInHistory(kafka: Kafka, topic: string, ruleSets: RulesSince[]) {
  const records = await wholeTopic(kafka, topic);
  const unlocks = ruleSets.flatMap(({ catalog, sinceMs }) =>
    unlockedOver(
      records.filter((record) => Number(record.timestamp) >= sinceMs),
      catalog,
    ).map((u) => `${u.clientId} ${u.achievementId}`),
  );
  const clients = new Set(records.map((record) => record.key!.toString()));
  return { records: records.length, clients: clients.size, unlocks: unlocks.sort() };
}

const lines = (rows: string[][]) => rows.map((row) => row.join(' ')).sort();

/** What the engine holds: its unlocks, the ledger's grants and the rewards, as sorted lines. */
export async function engineOutcome(db: pg.Pool) {
  const unlocks = await db.query<{ client_id: string; achievement_id: string }>(
    'SELECT client_id, achievement_id FROM achievement_unlocks',
  );
  const grants = await db.query<{ client_id: string; reference: string; points: number }>(
    "SELECT client_id, reference, points FROM loyalty_ledger WHERE kind = 'grant'",
  );
  const rewards = await db.query<{
    client_id: string;
    achievement_id: string;
    status: string;
    voucher: string;
  }>("SELECT client_id, achievement_id, status, coalesce(voucher_code, '-') AS voucher FROM rewards");
  return {
    unlocks: lines(unlocks.rows.map((r) => [r.client_id, r.achievement_id])),
    grants: lines(grants.rows.map((r) => [r.client_id, r.reference, String(r.points)])),
    rewards: lines(rewards.rows.map((r) => [r.client_id, r.achievement_id, r.status, r.voucher])),
  };
}

/**
 * What the engine must hold for `unlocks` (lines "client achievement"): each once, each grant of the
 * achievement's points once, and each reward settled: `fulfilled` with the partner's voucher where the
 * achievement names a partner, `granted` where it gives points only.
 */
export function outcomeOf(unlocks: string[], catalogs: Catalog[], voucherCode: string) {
  const levels = unlocks.map((line) => {
    const [clientId, achievementId] = line.split(' ') as [string, string];
    const achievement = catalogs.map((c) => c.achievements.get(achievementId)).find(Boolean);
    return { clientId, achievementId, level: achievement!.level };
  });
  return {
    unlocks: [...unlocks].sort(),
    grants: lines(
      levels
        .filter(({ level }) => level.points > 0)
        .map(({ clientId, achievementId, level }) => [clientId, achievementId, String(level.points)]),
    ),
    rewards: lines(
      levels.map(({ clientId, achievementId, level }) =>
        level.partner
          ? [clientId, achievementId, 'fulfilled', voucherCode]
          : [clientId, achievementId, 'granted', '-'],
      ),
    ),
  };
}

/**
 * Waits until `expected` rewards have settled (none left `granting` or `requested`); gives up with the count
 * reached once none has settled for `stallMs`, since a reward that was never started never will be.
 */
export async function rewardsSettled(db: pg.Pool, expected: number, stallMs = 150_000) {
  const counts = async () =>
    (
      await db.query<{ settled: number; unsettled: number }>(
        `SELECT count(*) FILTER (WHERE status NOT IN ('granting', 'requested'))::int AS settled,
                count(*) FILTER (WHERE status IN ('granting', 'requested'))::int AS unsettled FROM rewards`,
      )
    ).rows[0]!;
  let last = await counts();
  let changedAt = Date.now();
  while (last.settled < expected || last.unsettled > 0) {
    if (Date.now() - changedAt > stallMs) {
      throw new Error(`rewards stopped at ${last.settled} settled (${last.unsettled} not) of ${expected}`);
    }
    await sleep(250);
    const now = await counts();
    if (now.settled !== last.settled) changedAt = Date.now();
    last = now;
  }
  return last;
}

/** Unlock ids published on the unlock topic: each expected one, and how many were published more than once. */
export async function publishedUnlocks(kafka: Kafka, topic: string) {
  const ids = (await wholeTopic(kafka, topic)).map(
    (m) => (JSON.parse(m.value!.toString()) as { unlockId: string }).unlockId,
  );
  return { ids: [...new Set(ids)].sort(), repeats: ids.length - new Set(ids).size };
}

export const unlockIdsOf = (unlocks: string[]) =>
  unlocks
    .map((line) => {
      const [clientId, achievementId] = line.split(' ') as [string, string];
      return unlockIdOf(clientId, achievementId);
    })
    .sort();

/** The lines of `actual` and `wanted` that differ: when they do, these say more than two long lists. */
export function differences(actual: string[], wanted: string[]) {
  const [has, wants] = [new Set(actual), new Set(wanted)];
  return {
    unexpected: actual.filter((line) => !wants.has(line)),
    missing: wanted.filter((line) => !has.has(line)),
  };
}
