import type pg from 'pg';
import { writeOutbox } from '../platform/engine-state.js';
import { inTransaction } from '../platform/postgres.js';
import { metrics } from '../platform/metrics.js';
import {
  unlockedMessage,
  type BudgetedUnlock,
  type OutboxRecord,
  type OutputTopics,
} from '../platform/unlock-records.js';
import { awardsFor, type Award, type FoundUnlock } from '../rules/backfill-awards.js';
import { unlockPush } from '../rules/push.js';
import { BACKFILL_HEADER } from './replay-contract.js';
import type { ReplayJob } from './replay-jobs.js';
import { startReward, type RewardStart } from './reward-starter.js';

const PAGE = 100;

export interface AwardDependencies {
  db: pg.Pool;
  /** Where the backfill's rewards start: their own task queue, apart from live clients'. */
  rewards: RewardStart;
  outputs: OutputTopics;
  /** How many rewards a backfill starts per second at most. */
  perSecond: number;
  heartbeat: (details: unknown) => void;
}

export interface AwardOutcome {
  done: boolean;
  /** Unlocks given their award by this call. */
  awarded: number;
  /** Points the backfill has granted in all so far. */
  pointsGranted: number;
}

interface Cursor {
  at: string;
  unlockId: string;
}

const START: Cursor = { at: '-infinity', unlockId: '00000000-0000-0000-0000-000000000000' };

interface FoundRow {
  unlock_id: string;
  client_id: string;
  achievement_id: string;
  points: number;
  partner_id: string | null;
  unlocked_at: Date;
  source_event_id: string;
  /** A repeating achievement's occurrence; empty for one earned once. */
  occurrence: string;
  beyond_budget: boolean;
}

const occurrenceOf = (row: FoundRow) => (row.occurrence === '' ? {} : { occurrence: row.occurrence });

async function nextPage(db: pg.Pool, job: ReplayJob) {
  const { rows: replay } = await db.query<{ award_cursor: Cursor | null; points_spent: string }>(
    'SELECT award_cursor, points_spent FROM replays WHERE replay_id = $1',
    [job.replayId],
  );
  const found = replay[0]!.award_cursor;
  const cursor = found ?? START;
  const { rows } = await db.query<FoundRow>(
    `SELECT unlock_id, client_id, achievement_id, points, partner_id, unlocked_at, source_event_id, occurrence,
            beyond_budget
       FROM achievement_unlocks
      WHERE backfill_replay = $1 AND (unlocked_at, unlock_id) > ($2::timestamptz, $3::uuid)
      ORDER BY unlocked_at, unlock_id LIMIT $4`,
    [job.replayId, cursor.at, cursor.unlockId, PAGE],
  );
  return { rows, spent: Number(replay[0]!.points_spent), found };
}

/** Each client's highest level of the rule that this backfill found, by the level's rank in the rule. */
async function highestFound(db: pg.Pool, job: ReplayJob, clientIds: string[]) {
  const { rows } = await db.query<{ client_id: string; achievement_id: string }>(
    'SELECT client_id, achievement_id FROM achievement_unlocks WHERE backfill_replay = $1 AND client_id = ANY($2)',
    [job.replayId, clientIds],
  );
  const highest = new Map<string, number>();
  for (const row of rows)
    highest.set(row.client_id, Math.max(highest.get(row.client_id) ?? 0, rankOf(job, row.achievement_id)));
  return highest;
}

const rankOf = (job: ReplayJob, achievementId: string) =>
  job.rule.levels.findIndex((level) => level.achievementId === achievementId);

const unlockOf = (job: ReplayJob, row: FoundRow, points: number): BudgetedUnlock => ({
  type: 'AchievementUnlocked',
  clientId: row.client_id,
  achievementId: row.achievement_id,
  ruleId: job.rule.id,
  ruleVersion: job.rule.version,
  points,
  partnerId: row.partner_id ?? undefined,
  unlockedAt: row.unlocked_at.toISOString(),
  sourceEventId: row.source_event_id,
  ...occurrenceOf(row),
  ...(row.beyond_budget ? { beyondBudget: true as const } : {}),
});

/** The records announcing a page's unlocks: each one's unlock record, and a push where the client is told. */
function announcements(
  deps: AwardDependencies,
  job: ReplayJob,
  rows: FoundRow[],
  awards: Award[],
): OutboxRecord[] {
  const headers = { [BACKFILL_HEADER]: job.replayId };
  return rows.flatMap((row, i) => {
    const award = awards[i]!;
    const unlock = unlockOf(job, row, award.points);
    const records: OutboxRecord[] = [
      { topic: deps.outputs.unlocked, key: row.client_id, value: unlockedMessage(unlock), headers },
    ];
    if (award.notify)
      records.push({
        topic: deps.outputs.notifications,
        key: row.client_id,
        value: unlockPush({ ...unlock, unlockId: row.unlock_id }, job.catalog),
        headers,
      });
    return records;
  });
}

/**
 * Awards the unlocks a backfill's merge found, page by page in the order they unlocked, for up to `maxMs`:
 * the policy decides each one's points, reward and push (see `awardsFor`); rewards start on the backfill's own
 * task queue at most `perSecond`. A page's rewards start before its award is recorded with the cursor, so a page
 * redone after a crash starts nothing twice (the workflow id is the business key) and announces once.
 */
export async function awardUnlocks(
  deps: AwardDependencies,
  job: ReplayJob,
  maxMs: number,
): Promise<AwardOutcome> {
  const started = Date.now();
  let awarded = 0;
  let rewardsStarted = 0;
  for (;;) {
    const { rows, spent, found: cursor } = await nextPage(deps.db, job);
    if (rows.length === 0 || Date.now() - started >= maxMs)
      return { done: rows.length === 0, awarded, pointsGranted: spent };
    const highest = await highestFound(
      deps.db,
      job,
      rows.map((row) => row.client_id),
    );
    const unlocks: FoundUnlock[] = rows.map((row) => ({
      unlockId: row.unlock_id,
      clientId: row.client_id,
      achievementId: row.achievement_id,
      points: row.points,
      partnerId: row.partner_id,
      rank: rankOf(job, row.achievement_id),
    }));
    const decided = awardsFor(unlocks, highest, job.policy, spent);
    for (const [i, award] of decided.awards.entries()) {
      if (!award.reward) continue;
      const row = rows[i]!;
      await paced(started, rewardsStarted++, deps.perSecond);
      await startReward(deps.rewards, {
        unlockId: row.unlock_id,
        clientId: row.client_id,
        achievementId: row.achievement_id,
        points: award.points,
        ruleId: job.rule.id,
        ruleVersion: job.rule.version,
        unlockedAt: row.unlocked_at.toISOString(),
        ...occurrenceOf(row),
        notify: award.notify,
      });
    }
    await inTransaction(deps.db, async (client) => {
      // The cursor moves only from where this page found it: an attempt the server gave up on, still going
      // beside its retry, announces nothing twice.
      const last = rows.at(-1)!;
      const moved = await client.query(
        `UPDATE replays SET award_cursor = $2, points_spent = $3
          WHERE replay_id = $1 AND award_cursor IS NOT DISTINCT FROM $4::jsonb`,
        [
          job.replayId,
          { at: last.unlocked_at.toISOString(), unlockId: last.unlock_id },
          decided.spent,
          cursor === null ? null : JSON.stringify(cursor),
        ],
      );
      if (moved.rowCount === 0)
        throw new Error(`the awards of replay ${job.replayId} moved on since this page was read`);
      await client.query(
        `UPDATE achievement_unlocks u SET points = a.points FROM unnest($1::uuid[], $2::int[]) AS a (unlock_id, points)
          WHERE u.unlock_id = a.unlock_id AND u.points <> a.points`,
        [decided.awards.map((a) => a.unlockId), decided.awards.map((a) => a.points)],
      );
      await writeOutbox(client, announcements(deps, job, rows, decided.awards));
    });
    metrics.backfillProgress.inc(rows.length);
    awarded += rows.length;
    deps.heartbeat({ awarded, pointsGranted: decided.spent });
  }
}

/** Waits until starting the `n`-th reward since `sinceMs` keeps within `perSecond`. */
async function paced(sinceMs: number, n: number, perSecond: number) {
  const due = sinceMs + (n / perSecond) * 1000;
  const wait = due - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}
