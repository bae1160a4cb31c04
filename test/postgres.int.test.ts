import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { createPool, migrate } from '../platform/postgres.js';
import { migratedSchema, uniqueName } from './support/stack.js';

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

  it('lets starters that migrate the same schema at once wait for each other, not fail', async () => {
    const schema = uniqueName('together');
    const starts = await Promise.all([1, 2, 3].map(() => migrate(inject('databaseUrl'), schema)));
    expect(starts.map((applied) => applied.length).sort()).toEqual([0, 0, db.applied.length]);
    const pool = createPool(inject('databaseUrl'));
    await pool.query(`DROP SCHEMA "${schema}" CASCADE`);
    await pool.end();
  });

  it('refuses to change or remove an audit entry', async () => {
    await auditOne();
    await expect(db.pool.query(`UPDATE audit_log SET reason = 'edited'`)).rejects.toThrow(/append-only/);
    await expect(db.pool.query('DELETE FROM audit_log')).rejects.toThrow(/append-only/);
  });

  it('is reached with sslmode=verify-full, and refused when the certificate is not one its CA signed', async () => {
    const verified = (caFile: string) => {
      const url = new URL(inject('databaseUrl'));
      url.hostname = 'localhost';
      url.searchParams.set('sslmode', 'verify-full');
      url.searchParams.set('sslrootcert', caFile);
      return url.toString();
    };
    const secured = createPool(verified(inject('postgresCa')));
    try {
      const { rows } = await secured.query('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
      expect(rows).toEqual([{ ssl: true }]);
    } finally {
      await secured.end();
    }
    const dir = mkdtempSync(join(tmpdir(), 'other-ca-'));
    try {
      execFileSync(
        'openssl',
        [
          ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=another CA'],
          ...['-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.crt')],
        ],
        { stdio: 'ignore' },
      );
      const impostor = createPool(verified(join(dir, 'ca.crt')));
      await expect(impostor.query('SELECT 1')).rejects.toThrow(
        /self[- ]signed|unable to verify|certificate/i,
      );
      await impostor.end();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
