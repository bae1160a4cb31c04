import type pg from 'pg';
import { loadContexts, loadErasures, loadHoldings } from '../platform/engine-state.js';
import { inTransaction } from '../platform/postgres.js';
import { NO_CONTEXT, type ClientContext } from '../rules/audience.js';
import type { Holding } from '../rules/holdings.js';
import type { ClientProgress } from '../rules/progress.js';
import { upgradeProgress } from '../rules/progress-upgrade.js';
import { achievementsReadBy, Replay, type ReplayEarning, type ReplayedClient } from '../rules/replay.js';
import { topicsOf, type PartitionRow, type ReplayJob } from './replay-jobs.js';

/** A partition's replay as far as it has read: every client's progress, and where each topic continues. */
export interface PartitionState {
  replay: Replay;
  /** Where the replay began on each topic, and where it continues. */
  from: bigint[];
  positions: bigint[];
  /** For a rule whose audience names segments: each client's segments as imported now, and erasure. */
  contexts: Map<string, ClientContext>;
  /** For a composite or a follow-up: the clients whose holdings of its prerequisites were looked up. */
  holdingsLearned: Set<string>;
  /** Their holdings earned on records the replay has yet to read, by `recordKey`. */
  brought: Map<string, Holding[]>;
  /**
   * When each erased client was erased, read as each activity begins (a client erased later is left out of
   * the merge, which checks again).
   */
  erasures: Map<string, number>;
  usedMs: number;
}

/** How a record is named in `PartitionState.brought`: the index of its topic in `topicsOf`, and its offset. */
export const recordKey = (stream: number, offset: string | bigint) => `${stream}:${offset}`;

/** The client's context in this replay: learned with its segments, or just its erasure, if any. */
export function contextIn(state: PartitionState, clientId: string): ClientContext {
  const learned = state.contexts.get(clientId);
  if (learned) return learned;
  const erasedAtMs = state.erasures.get(clientId);
  return erasedAtMs === undefined ? NO_CONTEXT : { segments: NO_CONTEXT.segments, erasedAtMs };
}

/** The partition moved on since this attempt read it: another attempt of the same activity got there first. */
export class StaleReplay extends Error {
  constructor(replayId: string, partition: number) {
    super(
      `partition ${partition} of replay ${replayId} moved on since this attempt read it; it writes nothing`,
    );
    this.name = 'StaleReplay';
  }
}

/** A cached state unused this long is dropped: its replay moved to another worker, or was cancelled. */
const IDLE_MS = 10 * 60_000;

const same = (a: bigint[], b: bigint[]) => a.length === b.length && a.every((offset, i) => offset === b[i]);

/**
 * The partition states this worker holds between a replay's activities, so consecutive chunks of a partition
 * on one worker continue in memory. A backfill checkpoints each chunk to PostgreSQL, so a chunk on another
 * worker, or after a crash, resumes from there; a dry run keeps nothing, and starts its partition again.
 */
export class ReplayStates {
  private readonly held = new Map<string, PartitionState>();

  constructor(
    private readonly db: pg.Pool,
    private readonly zone: string,
  ) {}

  /** The state at the row's checkpoint: held here if it is exactly that, else read back (or begun anew). */
  async resume(job: ReplayJob, row: PartitionRow): Promise<PartitionState> {
    this.dropIdle();
    const key = `${job.replayId}:${row.partition}`;
    const held = this.held.get(key);
    const erasures = await loadErasures(this.db);
    if (held && (job.kind === 'dry-run' || same(held.positions, row.at))) {
      held.usedMs = Date.now();
      held.erasures = erasures;
      return held;
    }
    const state =
      job.kind === 'backfill'
        ? {
            replay: new Replay(job.catalog, this.zone, await this.checkpointed(job, row), row.eventsReplayed),
            positions: row.at,
          }
        : { replay: new Replay(job.catalog, this.zone), positions: row.from };
    const resumed = {
      ...state,
      from: row.from,
      contexts: new Map(),
      holdingsLearned: new Set<string>(),
      brought: new Map<string, Holding[]>(),
      erasures,
      usedMs: Date.now(),
    };
    this.held.set(key, resumed);
    return resumed;
  }

  private async checkpointed(job: ReplayJob, row: PartitionRow): Promise<[string, ReplayedClient][]> {
    const { rows } = await this.db.query<{
      client_id: string;
      progress: ClientProgress;
      earnings: ReplayEarning[];
      grants: number[];
    }>(
      `SELECT client_id, progress, earnings, grants FROM replay_client_state
        WHERE replay_id = $1 AND partition = $2`,
      [job.replayId, row.partition],
    );
    // A checkpoint an earlier build wrote is read as any stored progress is.
    return rows.map((r) => [
      r.client_id,
      {
        progress: upgradeProgress(r.progress, job.catalog),
        earnings: r.earnings,
        ...(r.grants.length > 0 ? { grants: r.grants } : {}),
      },
    ]);
  }

  /** Looks up the segments and erasure of clients not seen yet (for a rule whose audience names segments). */
  async learnContexts(state: PartitionState, clientIds: Iterable<string>) {
    const unknown = [...new Set(clientIds)].filter((clientId) => !state.contexts.has(clientId));
    if (unknown.length === 0) return;
    for (const [clientId, context] of await loadContexts(this.db, unknown))
      state.contexts.set(clientId, context);
  }

  /**
   * Looks up, for clients not looked up yet, their unlocks of the rule's prerequisites (a composite's or a
   * follow-up's, see holdings.ts): those earned on a record before the history the replay reads (or whose
   * record is not known, or not of a topic it reads) are held from the start; those earned on a record it has
   * yet to read are brought on that record; those on a record it read already are in its checkpoint.
   */
  async learnHoldings(state: PartitionState, job: ReplayJob, clientIds: Iterable<string>) {
    const unknown = [...new Set(clientIds)].filter((clientId) => !state.holdingsLearned.has(clientId));
    if (unknown.length === 0) return;
    const topics = topicsOf(job);
    const stored = await loadHoldings(this.db, unknown, achievementsReadBy(job.rule, job.catalog));
    for (const clientId of unknown) {
      const before: Holding[] = [];
      for (const { holding, source } of stored.get(clientId) ?? []) {
        const stream = source ? topics.indexOf(source.topic) : -1;
        const offset = source ? BigInt(source.offset) : 0n;
        if (stream < 0 || offset < state.from[stream]!) before.push(holding);
        else if (offset >= state.positions[stream]!) {
          const key = recordKey(stream, offset);
          state.brought.set(key, [...(state.brought.get(key) ?? []), holding]);
        }
      }
      state.replay.hold(clientId, before);
      state.holdingsLearned.add(clientId);
    }
  }

  /**
   * Writes a backfill's checkpoint: the clients changed since the last one, and where the partition stands,
   * moved only from where this chunk found it. An attempt the server gave up on (it ran again elsewhere) finds
   * the partition moved and writes nothing; its state here is dropped.
   */
  async checkpoint(job: ReplayJob, found: PartitionRow, state: PartitionState, caughtUp: boolean) {
    const changed = state.replay.takeChanged();
    const { clientsTouched } = state.replay.summary();
    try {
      await inTransaction(this.db, async (client) => {
        // A replay cancelled meanwhile keeps no checkpoint: its cancellation dropped them all.
        const running = await client.query(
          "SELECT 1 FROM replays WHERE replay_id = $1 AND status = 'running' FOR SHARE",
          [job.replayId],
        );
        if (running.rowCount === 0) return;
        const moved = await client.query(
          `UPDATE replay_partitions
              SET transactions_at = $3, events_at = $4, events_replayed = $5, clients_touched = $6,
                  status = CASE WHEN $7 THEN 'caught-up' ELSE status END, updated_at = now()
            WHERE replay_id = $1 AND partition = $2 AND status = 'replaying'
              AND transactions_at = $8 AND events_at = $9`,
          [
            job.replayId,
            found.partition,
            String(state.positions[0]),
            String(state.positions[1]),
            state.replay.eventsReplayed,
            clientsTouched,
            caughtUp,
            String(found.at[0]),
            String(found.at[1]),
          ],
        );
        if (moved.rowCount === 0) throw new StaleReplay(job.replayId, found.partition);
        if (changed.length > 0)
          await client.query(
            `INSERT INTO replay_client_state (replay_id, partition, client_id, progress, earnings, grants)
             SELECT $1, $2, * FROM unnest($3::text[], $4::json[], $5::json[], $6::json[])
             ON CONFLICT (replay_id, partition, client_id)
               DO UPDATE SET progress = EXCLUDED.progress, earnings = EXCLUDED.earnings, grants = EXCLUDED.grants`,
            [
              job.replayId,
              found.partition,
              changed.map(([clientId]) => clientId),
              changed.map(([, { progress }]) => JSON.stringify(progress)),
              changed.map(([, { earnings }]) => JSON.stringify(earnings)),
              changed.map(([, { grants }]) => JSON.stringify(grants ?? [])),
            ],
          );
      });
    } catch (error) {
      // What this state holds is no longer what PostgreSQL holds: the next chunk reads the checkpoint back.
      this.forget(job.replayId, found.partition);
      throw error;
    }
  }

  forget(replayId: string, partition: number) {
    this.held.delete(`${replayId}:${partition}`);
  }

  private dropIdle() {
    const now = Date.now();
    for (const [key, state] of this.held) if (now - state.usedMs > IDLE_MS) this.held.delete(key);
  }
}
