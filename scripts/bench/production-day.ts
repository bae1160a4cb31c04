import { execFileSync } from 'node:child_process';
import { existsSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import type pg from 'pg';
import { createPool } from '../../platform/postgres.js';
import { migrate } from '../../platform/postgres.js';
import { topicsOf } from '../../platform/topics.js';
import { startRole, stopRole } from '../children.js';
import { traffic } from '../simulator/traffic.js';
import { committedRate } from './committed.js';
import { produceWorkload, type Workload } from './workload.js';

/** The last build that stored every batch's progress and offset before fetching again: the A of the A/B pair. */
export const PER_BATCH_BUILD = '7c893dc';

const CLIENTS = 1_000_000;
const RECORDS = 2_000_000;
/** Zipf's exponent for client activity: the busiest client makes about 0.2 % of the day's records. */
const ZIPF = 0.6;
/** Relative card traffic per hour of a bank's day (Kyiv time): quiet nights, a lunch and an evening peak. */
const HOURLY = [2, 1, 1, 1, 1, 2, 4, 7, 9, 9, 10, 11, 13, 12, 10, 10, 11, 12, 13, 12, 10, 8, 5, 3];

/** A draw's client under Zipf activity over `clients` (rank 0 busiest), by its cumulative weights. */
function zipfClients(clients: number, exponent: number) {
  const cumulative = new Float64Array(clients);
  let sum = 0;
  for (let rank = 0; rank < clients; rank++) cumulative[rank] = sum += 1 / (rank + 1) ** exponent;
  return (draw: number) => {
    const target = draw * sum;
    let [low, high] = [0, clients - 1];
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (cumulative[middle]! < target) low = middle + 1;
      else high = middle;
    }
    return low;
  };
}

/** The i-th of `total` record times over one day starting at `dayMs`, spread as the hourly curve says. */
function dailyCurve(dayMs: number, total: number) {
  const weight = HOURLY.reduce((a, b) => a + b, 0);
  return (i: number) => {
    let left = ((i + 0.5) / total) * weight;
    for (const [hour, share] of HOURLY.entries()) {
      if (left < share) return dayMs + (hour + left / share) * 3_600_000;
      left -= share;
    }
    return dayMs + 86_400_000 - 1;
  };
}

export function productionDay(runId: string): Workload {
  const dayMs = Date.parse('2026-11-19T22:00:00Z'); // 00:00 in Kyiv
  const records = [
    ...traffic({
      clients: CLIENTS,
      seed: 2026,
      startMs: dayMs,
      endMs: dayMs + 86_400_000,
      total: RECORDS,
      clientAt: zipfClients(CLIENTS, ZIPF),
      timeAt: dailyCurve(dayMs, RECORDS),
    }),
  ];
  const prefix = `bench-${runId}-day.`;
  return { records, clients: CLIENTS, prefix, topics: topicsOf(prefix) };
}

/** A checkout of `commit` beside this one, sharing its node_modules, to run that build's roles. */
function checkoutOf(commit: string): string {
  const dir = join(process.env.HOME ?? '/tmp', '.cache', 'achievements-bench', commit);
  if (!existsSync(join(dir, 'main.ts'))) {
    execFileSync('git', ['worktree', 'add', '--force', '--detach', dir, commit], { stdio: 'ignore' });
    symlinkSync(join(process.cwd(), 'node_modules'), join(dir, 'node_modules'));
  }
  return dir;
}

/** What one build did with the day. */
export interface DayRun {
  eventsPerSecond: number;
  progressRowsPerEvent: number;
  walBytesPerEvent: number;
  clientsStored: number;
}

const walBytes = async (db: pg.Pool) =>
  Number((await db.query<{ wal_bytes: string }>('SELECT wal_bytes FROM pg_stat_wal')).rows[0]!.wal_bytes);

/** Progress rows written (inserted or updated) in the schema's client_progress, as PostgreSQL counts them. */
export async function progressRowsWritten(db: pg.Pool, schema: string): Promise<number> {
  // A backend reports its counts when idle at most a second after: give the processor's time to arrive.
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const { rows } = await db.query<{ n: string }>(
    `SELECT n_tup_ins + n_tup_upd AS n FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'client_progress'`,
    [schema],
  );
  return Number(rows[0]?.n ?? 0);
}

async function runBuild(
  build: 'before' | 'after',
  options: { databaseUrl: string; roleEnv: Record<string, string>; workload: Workload; runId: string },
): Promise<DayRun> {
  const schema = `bench_day_${build}_${options.runId}`;
  if (build === 'after') await migrate(options.databaseUrl, schema);
  const db = createPool(options.databaseUrl, schema);
  const env = {
    ...options.roleEnv,
    DATABASE_SCHEMA: schema,
    KAFKA_TOPIC_PREFIX: options.workload.prefix,
    KAFKA_GROUP_PREFIX: `bench-${options.runId}-day-${build}`,
  };
  const walBefore = await walBytes(db);
  const engine = await startRole('processor', env, {
    ready: false,
    ...(build === 'before' ? { main: join(checkoutOf(PER_BATCH_BUILD), 'main.ts') } : {}),
  });
  const eventsPerSecond = await committedRate(db, options.workload.records.length);
  // Its last checkpoint is part of the day's rows and WAL, and the schema is dropped only once it exited.
  await stopRole(engine);
  const written = await progressRowsWritten(db, schema);
  const wal = (await walBytes(db)) - walBefore;
  const clientsStored = Number(
    (await db.query<{ n: string }>('SELECT count(*) AS n FROM client_progress')).rows[0]!.n,
  );
  await db.query(`DROP SCHEMA ${schema} CASCADE`);
  await db.end();
  const events = options.workload.records.length;
  return {
    eventsPerSecond,
    progressRowsPerEvent: written / events,
    walBytesPerEvent: wal / events,
    clientsStored,
  };
}

/**
 * (p) A production-shaped day through one processor of the per-batch build and one of this build, one after the
 * other on the same records (an A/B pair, as the step table's): progress rows and WAL bytes per event, and rate.
 */
export async function measureProductionDay(options: {
  kafka: Kafka;
  databaseUrl: string;
  roleEnv: Record<string, string>;
  runId: string;
  step: (text: string) => void;
}) {
  options.step('(p) generating a production-shaped day');
  const workload = productionDay(options.runId);
  const active = new Set(workload.records.map((record) => record.value.clientId)).size;
  await produceWorkload(options.kafka, workload);
  const shared = {
    databaseUrl: options.databaseUrl,
    roleEnv: options.roleEnv,
    workload,
    runId: options.runId,
  };
  options.step(`(p) the per-batch build (${PER_BATCH_BUILD})`);
  const before = await runBuild('before', shared);
  options.step('(p) this build');
  const after = await runBuild('after', shared);
  return { records: workload.records.length, clients: CLIENTS, active, before, after };
}
