import type pg from 'pg';
import { buildCatalog, type RuleDocument } from '../rules/catalog.js';
import { RuleBook, type RuleChange, type StoredRuleVersion } from '../rules/rule-book.js';
import { inTransaction } from './postgres.js';

/** Every stored rule version and the whole log of changes, as one consistent snapshot. */
export async function loadRuleBook(db: pg.Pool): Promise<RuleBook> {
  return inTransaction(db, async (client) => {
    await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    const versions = await client.query<StoredRuleVersion & { createdAt: Date }>(
      `SELECT rule_id AS "ruleId", version, document, created_at AS "createdAt", created_by AS "createdBy"
         FROM rule_versions`,
    );
    const changes = await client.query<RuleChange & { seq: string; requestedAt: Date }>(
      `SELECT seq, rule_id AS "ruleId", version, measured_since AS "measuredSince",
              requested_at AS "requestedAt", requested_by AS "requestedBy"
         FROM rule_changes ORDER BY seq`,
    );
    return new RuleBook(
      versions.rows.map((row) => ({ ...row, createdAt: row.createdAt.toISOString() })),
      changes.rows.map((row) => ({
        ...row,
        seq: Number(row.seq),
        requestedAt: row.requestedAt.toISOString(),
      })),
    );
  });
}

/** A cheap fingerprint of the rule tables: when it moves, the book is read again. */
export async function ruleBookStamp(db: pg.Pool): Promise<string> {
  const { rows } = await db.query<{ stamp: string }>(
    `SELECT (SELECT coalesce(max(seq), 0) FROM rule_changes) || ':' || (SELECT count(*) FROM rule_versions) AS stamp`,
  );
  return rows[0]!.stamp;
}

/** A lock key only the seeding takes, so engines starting together seed once. */
const SEED_LOCK = 0x52554c45;

/**
 * Writes the repository's catalog as version 1 of each default rule and activates it, once: a rule that
 * already has a version 1 is left alone, and one operations ever activated or deactivated is never touched.
 */
export async function seedDefaultRules(db: pg.Pool, defaults: RuleDocument[]): Promise<string[]> {
  // Validated first: a broken catalog file stops the start-up with its name, before anything is written.
  const rules = buildCatalog(defaults).rules;
  return inTransaction(db, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [SEED_LOCK]);
    const seeded: string[] = [];
    for (const [i, rule] of rules.entries()) {
      const inserted = await client.query(
        `INSERT INTO rule_versions (rule_id, version, document, created_by) VALUES ($1, 1, $2, 'system')
         ON CONFLICT DO NOTHING`,
        [rule.id, JSON.stringify(defaults[i]!.document)],
      );
      if (inserted.rowCount === 0) continue;
      await client.query(
        `INSERT INTO rule_changes (rule_id, version, measured_since, requested_by)
         SELECT $1, 1, 1, 'system' WHERE NOT EXISTS (SELECT 1 FROM rule_changes WHERE rule_id = $1)`,
        [rule.id],
      );
      seeded.push(rule.id);
    }
    return seeded;
  });
}
