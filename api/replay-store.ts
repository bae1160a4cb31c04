import type pg from 'pg';
import { budgetStates } from '../platform/budget-store.js';
import { budgetOutlook, UNSPENT, type BudgetOutlook } from '../rules/budgets.js';
import type { RuleBudget } from '../rules/rule-schema.js';
import { inTransaction } from '../platform/postgres.js';
import type { InputTopics } from '../platform/topics.js';
import type { BackfillPolicy } from '../rules/backfill-awards.js';
import { backfillWorkflowId, dryRunWorkflowId } from '../workflows/replay-contract.js';
import { audit, type Actor } from './audit-log.js';

/** A backfill asked for with an activation (CONTRACT §6): its replay, from when, by which policy, where. */
export interface BackfillRequest {
  replayId: string;
  fromMs: number;
  policy: Partial<BackfillPolicy>;
  topics: InputTopics;
  /** The live consumer group it merges into. */
  groupId: string;
}

/** A dry run as `GET /v1/admin/dry-runs/{id}` shows it; `clients` and `points` of the partitions done. */
export interface DryRunView {
  dryRunId: string;
  ruleId: string;
  from: string;
  status: 'running' | 'done' | 'cancelled' | 'failed';
  requestedAt: string;
  finishedAt: string | null;
  eventsReplayed: number;
  eventsTotal: number;
  partitions: number;
  partitionsDone: number;
  clients: Record<string, number>;
  points: number;
  /** For a budgeted rule: what is left of its budget, and whether what the dry run found would close it. */
  budget: BudgetOutlook | null;
  error: string | null;
}

/** A backfill as the console follows it: its phase, how far its replay is, and what its result was. */
export interface BackfillView {
  backfillId: string;
  ruleId: string;
  version: number;
  workflowId: string;
  from: string;
  status: DryRunView['status'];
  /** Where the workflow is: replaying history, merging it into live state, awarding. */
  phase: string;
  requestedAt: string;
  finishedAt: string | null;
  eventsReplayed: number;
  partitions: number;
  /** Partitions whose replay reached live processing. */
  partitionsCaughtUp: number;
  pointsSpent: number;
  result: Record<string, unknown> | null;
  error: string | null;
}

/** Whether a run of this replay workflow has not ended yet. */
export async function backfillRunning(client: pg.PoolClient, workflowId: string): Promise<boolean> {
  const { rowCount } = await client.query(
    "SELECT 1 FROM replays WHERE workflow_id = $1 AND status = 'running'",
    [workflowId],
  );
  return rowCount !== 0;
}

const policyNote = (request: BackfillRequest) =>
  `from ${new Date(request.fromMs).toISOString()}; policy ${JSON.stringify(request.policy)}`;

/** Records a backfill of a version in the activation's transaction, with its audit entry. */
export async function recordBackfill(
  client: pg.PoolClient,
  rule: { ruleId: string; version: number; document: unknown },
  request: BackfillRequest,
  actor: Actor,
) {
  const workflowId = backfillWorkflowId(rule.ruleId, rule.version);
  await client.query(
    `INSERT INTO replays (replay_id, kind, workflow_id, rule_id, rule_version, document, from_time, policy, topics,
                          group_id, status, phase, requested_by)
     VALUES ($1, 'backfill', $2, $3, $4, $5, $6, $7, $8, $9, 'running', 'planning', $10)`,
    [
      request.replayId,
      workflowId,
      rule.ruleId,
      rule.version,
      JSON.stringify(rule.document),
      new Date(request.fromMs),
      JSON.stringify(request.policy),
      JSON.stringify(request.topics),
      request.groupId,
      actor.actorId,
    ],
  );
  await audit(client, actor, 'rule.backfill', `${rule.ruleId} v${rule.version}`, policyNote(request));
  return { replayId: request.replayId, workflowId };
}

interface DryRunRow {
  rule_id: string;
  from_time: Date;
  status: DryRunView['status'];
  requested_at: Date;
  finished_at: Date | null;
  error: string | null;
  document: { levels: { achievementId: string }[]; budget?: RuleBudget };
  events_replayed: string;
  events_total: string;
  partitions: string;
  summaries: { clients: Record<string, number>; points: number }[];
}

/** Dry runs in PostgreSQL: each asked for is recorded (and audited) before its workflow starts. */
export function postgresReplays(db: pg.Pool) {
  return {
    /** Records a dry run to start, with its audit entry; answers its workflow id. */
    createDryRun(
      request: {
        replayId: string;
        document: Record<string, unknown> & { id: string };
        fromMs: number;
        topics: InputTopics;
      },
      actor: Actor,
    ) {
      const { replayId, document, fromMs, topics } = request;
      return inTransaction(db, async (client) => {
        await client.query(
          `INSERT INTO replays (replay_id, kind, workflow_id, rule_id, document, from_time, topics, status, phase,
                                requested_by)
           VALUES ($1, 'dry-run', $2, $3, $4, $5, $6, 'running', 'planning', $7)`,
          [
            replayId,
            dryRunWorkflowId(replayId),
            document.id,
            JSON.stringify(document),
            new Date(fromMs),
            JSON.stringify(topics),
            actor.actorId,
          ],
        );
        await audit(
          client,
          actor,
          'rule.dry-run',
          `${document.id} (dry run ${replayId})`,
          `from ${new Date(fromMs).toISOString()}`,
        );
        return dryRunWorkflowId(replayId);
      });
    },

    async dryRun(dryRunId: string): Promise<DryRunView | undefined> {
      const { rows } = await db.query<DryRunRow>(
        `SELECT r.rule_id, r.from_time, r.status, r.requested_at, r.finished_at, r.error, r.document,
                coalesce(sum(p.events_replayed), 0) AS events_replayed,
                coalesce(sum(coalesce(p.transactions_until - p.transactions_from + p.events_until - p.events_from, 0)), 0)
                  AS events_total,
                count(p.partition) AS partitions,
                coalesce(json_agg(p.summary) FILTER (WHERE p.summary IS NOT NULL), '[]') AS summaries
           FROM replays r LEFT JOIN replay_partitions p USING (replay_id)
          WHERE r.replay_id = $1 AND r.kind = 'dry-run'
          GROUP BY r.replay_id`,
        [dryRunId],
      );
      const row = rows[0];
      if (!row) return undefined;
      const clients = Object.fromEntries(row.document.levels.map((level) => [level.achievementId, 0]));
      for (const summary of row.summaries)
        for (const [id, count] of Object.entries(summary.clients)) clients[id] = (clients[id] ?? 0) + count;
      const points = row.summaries.reduce((sum, summary) => sum + summary.points, 0);
      const { budget } = row.document;
      // The budget the rule's live versions have spent: a dry run of a new version would share it.
      const spent = budget && (await budgetStates(db, [row.rule_id])).get(row.rule_id);
      const unlocks = Object.values(clients).reduce((sum, count) => sum + count, 0);
      return {
        dryRunId,
        ruleId: row.rule_id,
        from: row.from_time.toISOString(),
        status: row.status,
        requestedAt: row.requested_at.toISOString(),
        finishedAt: row.finished_at?.toISOString() ?? null,
        eventsReplayed: Number(row.events_replayed),
        eventsTotal: Number(row.events_total),
        partitions: Number(row.partitions),
        partitionsDone: row.summaries.length,
        clients,
        points,
        budget: budget ? budgetOutlook(budget, spent ?? UNSPENT, { unlocks, points }) : null,
        error: row.error,
      };
    },

    async backfill(backfillId: string): Promise<BackfillView | undefined> {
      const { rows } = await db.query<{
        rule_id: string;
        rule_version: number;
        workflow_id: string;
        from_time: Date;
        status: BackfillView['status'];
        phase: string;
        requested_at: Date;
        finished_at: Date | null;
        points_spent: string;
        result: Record<string, unknown> | null;
        error: string | null;
        events_replayed: string;
        partitions: string;
        caught_up: string;
      }>(
        `SELECT r.rule_id, r.rule_version, r.workflow_id, r.from_time, r.status, r.phase, r.requested_at,
                r.finished_at, r.points_spent, r.result, r.error,
                coalesce(sum(p.events_replayed), 0) AS events_replayed, count(p.partition) AS partitions,
                count(p.partition) FILTER (WHERE p.status <> 'replaying') AS caught_up
           FROM replays r LEFT JOIN replay_partitions p USING (replay_id)
          WHERE r.replay_id = $1 AND r.kind = 'backfill'
          GROUP BY r.replay_id`,
        [backfillId],
      );
      const row = rows[0];
      return (
        row && {
          backfillId,
          ruleId: row.rule_id,
          version: row.rule_version,
          workflowId: row.workflow_id,
          from: row.from_time.toISOString(),
          status: row.status,
          phase: row.phase,
          requestedAt: row.requested_at.toISOString(),
          finishedAt: row.finished_at?.toISOString() ?? null,
          eventsReplayed: Number(row.events_replayed),
          partitions: Number(row.partitions),
          partitionsCaughtUp: Number(row.caught_up),
          pointsSpent: Number(row.points_spent),
          result: row.result,
          error: row.error,
        }
      );
    },

    /** Closes the rows of a workflow id whose run ended without saying how (terminated in the Temporal UI). */
    async closeEnded(workflowId: string) {
      await db.query(
        `UPDATE replays SET status = 'failed', finished_at = now(),
                error = 'its workflow ended without finishing (terminated in the Temporal UI?)'
          WHERE workflow_id = $1 AND status = 'running'`,
        [workflowId],
      );
    },

    async markFailed(replayId: string, error: string) {
      await db.query(
        "UPDATE replays SET status = 'failed', error = $2, finished_at = now() WHERE replay_id = $1 AND status = 'running'",
        [replayId, error],
      );
    },
  };
}

export type ReplayStore = ReturnType<typeof postgresReplays>;
