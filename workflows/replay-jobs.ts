import type pg from 'pg';
import type { InputTopics } from '../platform/topics.js';
import { DEFAULT_BACKFILL_POLICY, type BackfillPolicy } from '../rules/backfill-awards.js';
import { buildCatalog, knowingAchievementsOf, type Catalog, type CatalogRule } from '../rules/catalog.js';
import type { PartitionProgress } from './replay-contract.js';

/** A replay as its `replays` row describes it, with its rule ready to run. */
export interface ReplayJob {
  replayId: string;
  kind: 'dry-run' | 'backfill';
  /** The rule alone, as the replay runs it; a backfill's counts into the version's own progress. */
  catalog: Catalog;
  rule: CatalogRule;
  fromMs: number;
  /** When it was asked for: a client erased since may have been replayed before its erasure was known. */
  requestedAtMs: number;
  policy: BackfillPolicy;
  topics: InputTopics;
  /** The live consumer group whose positions a backfill follows and merges at. */
  groupId: string | null;
}

/** The topic names of a job in the order the history reader takes them: transactions, then client events. */
export const topicsOf = (job: ReplayJob) => [job.topics.transactions, job.topics.clientEvents];

/** A replay's job; `everLive` (every rule ever live) tells what its rule's prerequisites are. */
export async function loadJob(db: pg.Pool, replayId: string, everLive: Catalog): Promise<ReplayJob> {
  const { rows } = await db.query<{
    kind: ReplayJob['kind'];
    rule_id: string;
    rule_version: number | null;
    document: Record<string, unknown>;
    from_time: Date;
    requested_at: Date;
    policy: Partial<BackfillPolicy> | null;
    topics: InputTopics;
    group_id: string | null;
  }>(
    `SELECT kind, rule_id, rule_version, document, from_time, requested_at, policy, topics, group_id FROM replays
      WHERE replay_id = $1`,
    [replayId],
  );
  const row = rows[0];
  if (!row) throw new Error(`no replay ${replayId}`);
  // A backfilled version starts progress of its own (activation refuses one that keeps an earlier version's).
  // Its document was checked when it was stored (or when the dry run was asked for): read as accepted.
  const alone = buildCatalog(
    [
      {
        source: `${row.kind} of ${row.rule_id}`,
        document: { version: row.rule_version ?? 1, ...row.document },
        measuredSince: row.rule_version ?? 1,
      },
    ],
    'stored',
  );
  const catalog = knowingAchievementsOf(alone, everLive);
  return {
    replayId,
    kind: row.kind,
    catalog,
    rule: catalog.rules[0]!,
    fromMs: row.from_time.getTime(),
    requestedAtMs: row.requested_at.getTime(),
    policy: { ...DEFAULT_BACKFILL_POLICY, ...row.policy },
    topics: row.topics,
    groupId: row.group_id,
  };
}

/** Where one partition of a replay starts, stands (its checkpoint) and stops, and what it did. */
export interface PartitionRow {
  partition: number;
  from: bigint[];
  at: bigint[];
  /** A dry run's cut; a backfill follows live processing instead. */
  until: bigint[] | undefined;
  eventsReplayed: number;
  clientsTouched: number;
  status: PartitionProgress['status'];
  summary: unknown;
}

interface PartitionColumns {
  partition: number;
  transactions_from: string;
  events_from: string;
  transactions_at: string;
  events_at: string;
  transactions_until: string | null;
  events_until: string | null;
  events_replayed: string;
  clients_touched: number;
  status: PartitionRow['status'];
  summary: unknown;
}

const toRow = (r: PartitionColumns): PartitionRow => ({
  partition: r.partition,
  from: [BigInt(r.transactions_from), BigInt(r.events_from)],
  at: [BigInt(r.transactions_at), BigInt(r.events_at)],
  until: r.transactions_until === null ? undefined : [BigInt(r.transactions_until), BigInt(r.events_until!)],
  eventsReplayed: Number(r.events_replayed),
  clientsTouched: r.clients_touched,
  status: r.status,
  summary: r.summary,
});

export async function loadPartitions(db: pg.Pool, replayId: string, partition?: number) {
  const { rows } = await db.query<PartitionColumns>(
    `SELECT * FROM replay_partitions WHERE replay_id = $1 AND ($2::int IS NULL OR partition = $2)
      ORDER BY partition`,
    [replayId, partition ?? null],
  );
  return rows.map(toRow);
}

/** Writes a replay's plan: where each partition starts and (a dry run) stops. A plan written once stays. */
export async function writePlan(
  db: pg.Pool,
  replayId: string,
  from: bigint[][],
  until: bigint[][] | undefined,
) {
  await db.query(
    `INSERT INTO replay_partitions (replay_id, partition, transactions_from, events_from, transactions_at,
                                    events_at, transactions_until, events_until, status)
     SELECT $1, p, tf, ef, tf, ef, tu, eu, 'replaying'
       FROM unnest($2::int[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[]) AS plan (p, tf, ef, tu, eu)
     ON CONFLICT DO NOTHING`,
    [
      replayId,
      from.map((_, partition) => partition),
      from.map((offsets) => String(offsets[0])),
      from.map((offsets) => String(offsets[1])),
      from.map((_, partition) => (until ? String(until[partition]![0]) : null)),
      from.map((_, partition) => (until ? String(until[partition]![1]) : null)),
    ],
  );
}

/** The progress a workflow shows of a partition row; `eventsTotal` from where it must reach now. */
export const progressOf = (row: PartitionRow, reach: bigint[]): PartitionProgress => ({
  partition: row.partition,
  eventsReplayed: row.eventsReplayed,
  eventsTotal: Number(reach[0]! - row.from[0]! + (reach[1]! - row.from[1]!)),
  clientsTouched: row.clientsTouched,
  status: row.status,
});
