import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { migrate } from '../platform/postgres.js';
import { migratedSchema } from './support/stack.js';

describe('PostgreSQL with forward-only migrations', () => {
  // Each test owns a schema of its own, so each passes alone and in any order.
  let db: Awaited<ReturnType<typeof migratedSchema>>;
  beforeEach(async () => {
    db = await migratedSchema();
  });
  afterEach(() => db.drop());

  const auditOne = () =>
    db.pool.query(
      `INSERT INTO audit_log (actor_id, actor_role, action, target, reason) VALUES ($1, $2, $3, $4, $5)`,
      ['e-7', 'support', 'explain', 'c-1042/coffee-lover', 'client dispute'],
    );

  it('applies the migrations once, then writes and reads a row', async () => {
    expect(db.applied).toContain('0001_audit_log');
    expect(await migrate(inject('databaseUrl'), db.schema)).toEqual([]);

    await auditOne();
    const { rows } = await db.pool.query('SELECT actor_id, actor_role, reason FROM audit_log');
    expect(rows).toEqual([{ actor_id: 'e-7', actor_role: 'support', reason: 'client dispute' }]);
  });

  it('refuses to change or remove an audit entry', async () => {
    await auditOne();
    await expect(db.pool.query(`UPDATE audit_log SET reason = 'edited'`)).rejects.toThrow(/append-only/);
    await expect(db.pool.query('DELETE FROM audit_log')).rejects.toThrow(/append-only/);
  });
});
