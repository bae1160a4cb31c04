import type pg from 'pg';
import { inSnapshot, inTransaction } from '../platform/postgres.js';
import { measuredSinceFor } from '../rules/rule-book.js';
import { storedRuleSchema, type RuleBudget } from '../rules/rule-schema.js';
import { budgetStates, standingOf, type BudgetStanding } from '../platform/budget-store.js';
import type { RuleProblem } from '../rules/rule-validation.js';
import {
  checkDraft,
  draftContext,
  sameContext,
  validateDraft,
  type DraftOptions,
  type RuleCheck,
} from './rule-drafts.js';
import { audit, type Actor } from './audit-log.js';
import { backfillWorkflowId } from '../workflows/replay-contract.js';
import { backfillRunning, recordBackfill, type BackfillRequest } from './replay-store.js';

export interface RuleVersionListing {
  version: number;
  createdAt: string;
  createdBy: string;
  document: unknown;
}

export interface RuleListing {
  ruleId: string;
  versions: RuleVersionListing[];
  /** The live version, since when it was asked for, where it went live, and whether it kept earlier progress. */
  active: {
    version: number;
    since: string;
    progress: ProgressOnActivation;
    livePartitions: { topic: string; partition: number; fromOffset: string; at: string }[];
    /** What the live version's budget has given across all clients; null when it has none. */
    budget: BudgetStanding | null;
  } | null;
}

/** What an activation does to the rule's progress (CONTRACT §6): kept from an earlier version, or a new start. */
export type ProgressOnActivation = { kept: true; since: number } | { kept: false; startsAt: 'activation' };

const progressOn = (version: number, measuredSince: number): ProgressOnActivation =>
  measuredSince < version ? { kept: true, since: measuredSince } : { kept: false, startsAt: 'activation' };

export type Activation =
  | {
      outcome: 'activated' | 'already-active';
      version: number;
      progress: ProgressOnActivation;
      /** The backfill asked for with the activation, recorded in the same transaction, to start now. */
      backfill?: { replayId: string; workflowId: string };
    }
  | { outcome: 'no-such-version' }
  /** A backfill was asked of a version that keeps an earlier version's progress, already counted live. */
  | { outcome: 'keeps-progress'; since: number }
  | { outcome: 'backfill-running'; workflowId: string };

/** Rule and segment administration in PostgreSQL; every change is written to the audit log with it. */
export interface RuleAdminStore {
  list(): Promise<RuleListing[]>;
  /** Validates a draft as `create` would, storing nothing. */
  check(document: unknown): Promise<RuleCheck>;
  create(
    document: unknown,
    actor: Actor,
  ): Promise<{ ok: true; ruleId: string; version: number } | { ok: false; problems: RuleProblem[] }>;
  activate(ruleId: string, version: number, actor: Actor, backfill?: BackfillRequest): Promise<Activation>;
  deactivate(ruleId: string, actor: Actor): Promise<'deactivated' | 'not-active' | 'no-such-rule'>;
  importSegment(
    segmentId: string,
    clientIds: string[],
    replace: boolean,
    actor: Actor,
  ): Promise<{ added: number; removed: number; members: number }>;
}

/** Serializes changes of one rule (numbering, activation) across API instances. */
const lockRule = (client: pg.PoolClient, ruleId: string) =>
  client.query(`SELECT pg_advisory_xact_lock(hashtext('rule:' || $1))`, [ruleId]);

async function latestChange(client: pg.PoolClient, ruleId: string) {
  const { rows } = await client.query<{ version: number | null; measured_since: number | null }>(
    'SELECT version, measured_since FROM rule_changes WHERE rule_id = $1 ORDER BY seq DESC LIMIT 1',
    [ruleId],
  );
  return rows[0];
}

/**
 * A stored version read for what it measures, as it was accepted: its examples, which do not change what it
 * measures and take up to 100 ms to read in a 1 MiB document, are left out (this runs under the rule's lock).
 */
const measuredRule = (document: unknown) => storedRuleSchema.parse({ ...(document as object), examples: [] });

async function documentOf(client: pg.PoolClient, ruleId: string, version: number) {
  const { rows } = await client.query<{ document: unknown }>(
    'SELECT document FROM rule_versions WHERE rule_id = $1 AND version = $2',
    [ruleId, version],
  );
  return rows[0]?.document;
}

/** How often `create` judges a document again when other versions keep coming in while it is judged. */
const CREATE_ATTEMPTS = 3;

/** Other versions were stored each time a document was judged: the caller may send it again. */
export class RulesChangedMeanwhile extends Error {
  constructor(
    readonly ruleId: string,
    readonly attempts: number,
  ) {
    super(`rules changed while ${ruleId} was validated, ${attempts} times in a row`);
    this.name = 'RulesChangedMeanwhile';
  }
}

export function postgresRuleAdmin(db: pg.Pool, options: DraftOptions): RuleAdminStore {
  const contextOf = (document: unknown) =>
    inSnapshot(db, (client) => draftContext(client, document, options));
  return {
    list: async () => {
      const [versions, active, positions] = await Promise.all([
        db.query<{
          rule_id: string;
          version: number;
          created_at: Date;
          created_by: string;
          document: unknown;
        }>(
          'SELECT rule_id, version, created_at, created_by, document FROM rule_versions ORDER BY rule_id, version',
        ),
        db.query<{ seq: string; rule_id: string; version: number | null; measured_since: number; at: Date }>(
          `SELECT DISTINCT ON (rule_id) seq, rule_id, version, measured_since, requested_at AS at
             FROM rule_changes ORDER BY rule_id, seq DESC`,
        ),
        db.query<{ seq: string; topic: string; partition: number; from_offset: string; applied_at: Date }>(
          `SELECT seq, topic, partition, from_offset, applied_at FROM rule_change_positions
            WHERE seq IN (SELECT DISTINCT ON (rule_id) seq FROM rule_changes ORDER BY rule_id, seq DESC)
            ORDER BY topic, partition`,
        ),
      ]);
      const rules = new Map<string, RuleListing>();
      for (const row of versions.rows) {
        const listing = rules.get(row.rule_id) ?? { ruleId: row.rule_id, versions: [], active: null };
        listing.versions.push({
          version: row.version,
          createdAt: row.created_at.toISOString(),
          createdBy: row.created_by,
          document: row.document,
        });
        rules.set(row.rule_id, listing);
      }
      const budgets = await budgetStates(db, [...rules.keys()]);
      for (const change of active.rows) {
        if (change.version === null) continue;
        const listing = rules.get(change.rule_id)!;
        const { budget } = listing.versions.find((v) => v.version === change.version)!.document as {
          budget?: RuleBudget;
        };
        listing.active = {
          version: change.version,
          since: change.at.toISOString(),
          progress: progressOn(change.version, change.measured_since),
          livePartitions: positions.rows
            .filter((p) => p.seq === change.seq)
            .map((p) => ({
              topic: p.topic,
              partition: p.partition,
              fromOffset: p.from_offset,
              at: p.applied_at.toISOString(),
            })),
          budget: budget ? standingOf(budget, budgets.get(change.rule_id)) : null,
        };
      }
      return [...rules.values()];
    },

    check: async (document) => checkDraft(document, await contextOf(document)),

    // The document is judged off the event loop before the rule's lock is taken, so its examples hold neither
    // the lock nor a connection. Judging is a pure function of the document and its context: under the lock
    // the context is read again, and a version or rule stored meanwhile has the document judged anew.
    create: async (document, actor) => {
      for (let attempt = 1; ; attempt++) {
        const context = await contextOf(document);
        const checked = await validateDraft(document, context);
        if (!checked.ok) return checked;
        const { ruleId, version } = checked;
        const stored = await inTransaction(db, async (client) => {
          await lockRule(client, ruleId);
          if (!sameContext(await draftContext(client, document, options), context)) return undefined;
          await client.query(
            'INSERT INTO rule_versions (rule_id, version, document, created_by) VALUES ($1, $2, $3, $4)',
            [ruleId, version, JSON.stringify(checked.document), actor.actorId],
          );
          await audit(client, actor, 'rule.create', `${ruleId} v${version}`, 'new rule version');
          return { ok: true as const, ruleId, version };
        });
        if (stored) return stored;
        if (attempt === CREATE_ATTEMPTS) throw new RulesChangedMeanwhile(ruleId, attempt);
      }
    },

    activate: (ruleId, version, actor, backfill) =>
      inTransaction(db, async (client): Promise<Activation> => {
        await lockRule(client, ruleId);
        const document = await documentOf(client, ruleId, version);
        if (document === undefined) return { outcome: 'no-such-version' as const };
        const latest = await latestChange(client, ruleId);
        const workflowId = backfillWorkflowId(ruleId, version);
        if (backfill && (await backfillRunning(client, workflowId)))
          return { outcome: 'backfill-running', workflowId };
        const withBackfill = async (activation: Activation & { outcome: 'activated' | 'already-active' }) =>
          backfill
            ? {
                ...activation,
                backfill: await recordBackfill(client, { ruleId, version, document }, backfill, actor),
              }
            : activation;
        if (latest?.version === version) {
          if (backfill && latest.measured_since! < version)
            return { outcome: 'keeps-progress', since: latest.measured_since! };
          return withBackfill({
            outcome: 'already-active',
            version,
            progress: progressOn(version, latest.measured_since!),
          });
        }
        const active =
          latest?.version != null
            ? {
                rule: measuredRule(await documentOf(client, ruleId, latest.version)),
                measuredSince: latest.measured_since!,
              }
            : undefined;
        const measuredSince = measuredSinceFor(active, measuredRule(document));
        if (backfill && measuredSince < version) return { outcome: 'keeps-progress', since: measuredSince };
        await client.query(
          `INSERT INTO rule_changes (rule_id, version, measured_since, requested_by) VALUES ($1, $2, $3, $4)`,
          [ruleId, version, measuredSince, actor.actorId],
        );
        const progress = progressOn(version, measuredSince);
        const note = progress.kept
          ? `progress kept from v${progress.since}`
          : 'progress starts at activation';
        await audit(client, actor, 'rule.activate', `${ruleId} v${version}`, note);
        return withBackfill({ outcome: 'activated', version, progress });
      }),

    deactivate: (ruleId, actor) =>
      inTransaction(db, async (client) => {
        await lockRule(client, ruleId);
        const latest = await latestChange(client, ruleId);
        if (!latest) return 'no-such-rule';
        if (latest.version === null) return 'not-active';
        await client.query('INSERT INTO rule_changes (rule_id, requested_by) VALUES ($1, $2)', [
          ruleId,
          actor.actorId,
        ]);
        await audit(client, actor, 'rule.deactivate', ruleId, `v${latest.version} no longer live`);
        return 'deactivated';
      }),

    importSegment: (segmentId, clientIds, replace, actor) =>
      inTransaction(db, async (client) => {
        await client.query(`SELECT pg_advisory_xact_lock(hashtext('segment:' || $1))`, [segmentId]);
        const added = await client.query<{ client_id: string }>(
          `INSERT INTO segment_members (segment_id, client_id) SELECT $1, unnest($2::text[])
           ON CONFLICT DO NOTHING RETURNING client_id`,
          [segmentId, clientIds],
        );
        const removed = replace
          ? await client.query<{ client_id: string }>(
              `DELETE FROM segment_members WHERE segment_id = $1 AND NOT (client_id = ANY($2::text[]))
               RETURNING client_id`,
              [segmentId, clientIds],
            )
          : { rows: [] };
        const ids = (result: { rows: { client_id: string }[] }) => result.rows.map((row) => row.client_id);
        if (added.rows.length + removed.rows.length > 0)
          await client.query(
            `INSERT INTO segment_changes (segment_id, client_ids, added, removed)
             VALUES ($1, $2::text[] || $3::text[], $2, $3)`,
            [segmentId, ids(added), ids(removed)],
          );
        const members = await client.query<{ n: string }>(
          'SELECT count(*) AS n FROM segment_members WHERE segment_id = $1',
          [segmentId],
        );
        await audit(
          client,
          actor,
          'segment.import',
          segmentId,
          `${added.rows.length} added, ${removed.rows.length} removed`,
        );
        return {
          added: added.rows.length,
          removed: removed.rows.length,
          members: Number(members.rows[0]!.n),
        };
      }),
  };
}
