import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { journaledErasures } from '../api/erasure-journal.js';
import { localStore } from '../platform/backup-store.js';
import { rebuildKey, splitNewKey } from '../platform/key-shares.js';
import { giveToOwner } from '../platform/pg-cluster.js';
import { restorePointInTime } from '../platform/point-in-time.js';
import { createPool, migrate } from '../platform/postgres.js';
import { freePort, killGroup, startRole, stopRole } from '../scripts/children.js';
import { bankHistory } from './support/bank-history.js';
import { eventually, processedToEnds, produceEvents } from './support/engine.js';
import { scratchCluster } from '../scripts/stack/scratch-cluster.js';
import { runScript } from './support/scripts.js';
import { token } from './support/tokens.js';
import { walStoredUpToNow } from './support/wal-stored.js';
import { startWholeSystem } from './support/whole-system.js';

/** The engine's state, row for row: progress, unlocks, the ledger, the rewards and the erasures. */
async function engineState(db: pg.Pool) {
  const rows = async (sql: string) => (await db.query(sql)).rows as unknown[];
  return {
    progress: await rows('SELECT client_id, progress FROM client_progress ORDER BY client_id'),
    unlocks: await rows(
      `SELECT unlock_id, client_id, achievement_id, occurrence, points, unlocked_at, source_event_id
         FROM achievement_unlocks ORDER BY unlock_id`,
    ),
    // An erased client's entries carry a pseudonym made at random for each erasure: compared as such.
    ledger: await rows(
      `SELECT CASE WHEN client_id LIKE 'erased-%' THEN 'erased' ELSE client_id END AS client_id, kind, points,
              CASE WHEN client_id LIKE 'erased-%' THEN kind ELSE idempotency_key END AS key
         FROM loyalty_ledger ORDER BY 1, 2, 3, 4`,
    ),
    rewards: await rows(
      'SELECT reward_id, client_id, achievement_id, points, status, voucher_code FROM rewards ORDER BY reward_id',
    ),
    erasures: await rows('SELECT client_id, erased_at FROM erased_clients ORDER BY client_id'),
  };
}

/**
 * The engine's database restored to a time T from its streaming backup while the whole engine (`main.ts
 * processor|worker|api`) runs on a cluster of the test's own: equal to the state at T row for row; then, with
 * the erasure made after T applied again from its journal and the engine replaying Kafka from where the
 * restored database stands, equal to the state before the restore, the erased client still erased.
 */
describe('a point-in-time restore of the engine, and the engine replaying to the end', () => {
  let cluster: Awaited<ReturnType<typeof scratchCluster>>;
  let system: Awaited<ReturnType<typeof startWholeSystem>>;
  let db: pg.Pool;
  let work: string;
  const dataDirs: string[] = [];

  beforeAll(async () => {
    cluster = await scratchCluster();
    await migrate(cluster.url, 'public');
    db = createPool(cluster.url, 'public');
    system = await startWholeSystem({ DATABASE_URL: cluster.url, DATABASE_SCHEMA: 'public' });
    work = await mkdtemp(join(tmpdir(), 'point-in-time-'));
    giveToOwner(work);
  }, 120_000);

  afterAll(async () => {
    await system?.stop();
    await db?.end();
    await cluster?.remove(dataDirs);
    if (work) await rm(work, { recursive: true, force: true });
  });

  const eraseViaApi = async (clientId: string) => {
    const bearer = await token({ sub: 'dpo-1', role: 'admin' });
    const response = await system.app.request(`/v1/admin/clients/${clientId}?reason=DSAR`, {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${bearer}` },
    });
    expect(response.status).toBe(202);
  };
  /** Every unlock of a client not erased has its grant in the ledger. */
  const settled = async () => {
    await processedToEnds(db, system.kafka, system.inputs, 120_000);
    await eventually(
      async () =>
        (
          await db.query<{ waiting: string }>(
            `SELECT count(*) AS waiting FROM achievement_unlocks u
              WHERE NOT EXISTS (SELECT 1 FROM loyalty_ledger WHERE idempotency_key = 'grant:' || u.unlock_id)
                 OR NOT EXISTS (SELECT 1 FROM rewards WHERE reward_id = u.unlock_id::text
                                                        AND status NOT IN ('granting', 'requested'))`,
          )
        ).rows[0]!.waiting,
      (waiting) => waiting === '0',
      120_000,
      250,
    );
  };

  it('restores exactly the state at T, then the engine replays to the state before, erasures kept', async () => {
    const key = await splitNewKey(3, 2);
    const shares = await Promise.all(
      key.sheets.map(async (sheet, i) => {
        const file = join(work, `share-${i + 1}.txt`);
        await writeFile(file, sheet);
        return file;
      }),
    );
    const store = join(work, 'store');
    const env = {
      ...system.roleEnv,
      BACKUP_STORE: store,
      BACKUP_RECIPIENT: key.recipient,
      BACKUP_DATABASE_URL: cluster.url,
      BACKUP_SPOOL: join(work, 'spool'),
    };
    const archiver = await startRole('backup', env);
    expect((await runScript('backup.ts', ['--base'], env)).code).toBe(0);

    const clients = Array.from(
      { length: 40 },
      (_, i) => `pitr-${system.inputs.transactions.slice(2, 10)}-${i}`,
    );
    const [erasedBefore, erasedAfter] = [clients[0]!, clients[1]!];
    await produceEvents(system.kafka, system.inputs, bankHistory(clients, 7, { from: 1, to: 14 }));
    await settled();
    await eraseViaApi(erasedBefore);
    await settled();
    const atT = await engineState(db);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const T = new Date();
    await new Promise((resolve) => setTimeout(resolve, 500));

    await produceEvents(system.kafka, system.inputs, bankHistory(clients, 8, { from: 15, to: 28 }));
    await settled();
    await eraseViaApi(erasedAfter);
    const before = await engineState(db);
    expect(before.unlocks.length).toBeGreaterThan(atT.unlocks.length);
    // The erasure is in its journal, and the store holds WAL written after it.
    await eventually(
      () => journaledErasures(system.kafka, system.topics.erasures),
      (journal) => journal.has(erasedAfter),
      60_000,
      500,
    );
    await walStoredUpToNow(db, localStore(store));

    // Exactly the state at T, in a fresh cluster beside the running one.
    const { identity } = await rebuildKey([
      { text: key.sheets[0]!, source: 'share 1' },
      { text: key.sheets[2]!, source: 'share 3' },
    ]);
    const exactDir = join(work, 'at-T');
    dataDirs.push(exactDir);
    const exact = await restorePointInTime({
      store: localStore(store),
      identity,
      dataDir: exactDir,
      port: await freePort(),
      target: T,
    });
    const exactDb = createPool(exact.url, 'public');
    expect(await engineState(exactDb)).toEqual(atT);
    await exactDb.end();
    cluster.stopDataDir(exactDir);

    // The disaster: every role stopped, the cluster gone; the runbook's restore, then the roles again.
    for (const child of [...system.processors(), ...system.workers(), ...system.apis()])
      killGroup(child, 'SIGTERM');
    await eventually(
      () => Promise.resolve(system.processors().length + system.workers().length + system.apis().length),
      (alive) => alive === 0,
      60_000,
      250,
    );
    expect(await stopRole(archiver)).toBe(0);
    cluster.stop();
    const restoredDir = join(work, 'restored');
    dataDirs.push(restoredDir);
    const restore = await runScript(
      'restore.ts',
      [
        '--to',
        T.toISOString(),
        '--data-dir',
        restoredDir,
        '--port',
        String(cluster.port),
        '--share',
        shares[1]!,
        '--share',
        shares[2]!,
      ],
      env,
    );
    expect(restore.stderr + restore.stdout).toContain('1 later erasures applied again');
    expect(restore.code, restore.stderr).toBe(0);
    await system.startWorker();
    await system.startApi();
    await system.startProcessor();
    await settled();
    expect(await engineState(db)).toEqual(before);
    expect(
      (await db.query('SELECT 1 FROM client_progress WHERE client_id = $1', [erasedAfter])).rowCount,
    ).toBe(0);
  }, 600_000);
});
