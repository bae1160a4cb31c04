import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { cachedAchievements } from '../api/client-cache.js';
import { followClientChanges, type ClientChangeListener } from '../api/client-changes.js';
import { postgresReads } from '../api/client-reads.js';
import { createApp } from '../api/app.js';
import { writeProgress, type StoredProgress } from '../platform/engine-state.js';
import { createPool, inTransaction } from '../platform/postgres.js';
import { initialProgress } from '../rules/progress.js';
import { apiDependencies } from './support/api.js';
import { catalog, eventually } from './support/engine.js';
import { migratedSchema } from './support/stack.js';
import { startTcpProxy } from './support/tcp-proxy.js';
import { token } from './support/tokens.js';

/** A listener noting all it is told. */
function recorder() {
  const heard = { changed: [] as string[][], all: 0, lost: 0, listening: 0 };
  const listener: ClientChangeListener = {
    listening: () => heard.listening++,
    changed: (clientIds) => heard.changed.push([...clientIds]),
    changedAll: () => heard.all++,
    lost: () => heard.lost++,
  };
  const clientsHeard = () => new Set(heard.changed.flat());
  return { heard, listener, clientsHeard };
}

const progressOf = (clientIds: string[], version = 1) =>
  new Map<string, StoredProgress>(clientIds.map((id) => [id, { version, progress: initialProgress() }]));

const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

/** Waits until what `read` answers passes `done` (announcements arrive a moment after their commit). */
const soon = <T>(read: () => T, done: (value: T) => boolean) =>
  eventually(() => Promise.resolve(read()), done, 10_000);

describe('changes of what the app reads, announced by PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof migratedSchema>>;
  let stops: (() => Promise<void>)[];
  beforeEach(async () => {
    db = await migratedSchema();
    stops = [];
  });
  afterEach(async () => {
    for (const stop of stops) await stop();
    await db.drop();
  });

  async function follow(pool = db.pool) {
    const record = recorder();
    // The usual probe interval: a shorter one counts a probe slowed by a busy machine as a lost connection, and
    // what is announced while it listens again is gone (the silence test below shortens it on purpose).
    const following = followClientChanges(pool, record.listener);
    stops.push(following.stop);
    await soon(
      () => record.heard.listening,
      (times) => times > 0,
    );
    return record;
  }

  it('announces the clients a write changed once it commits, not before', async () => {
    const { heard, clientsHeard } = await follow();
    await inTransaction(db.pool, async (client) => {
      await writeProgress(client, progressOf(['c-1', 'c-2']));
      await settle();
      expect(heard.changed).toEqual([]);
    });
    await soon(
      () => clientsHeard(),
      (ids) => ids.size === 2,
    );
    expect(clientsHeard()).toEqual(new Set(['c-1', 'c-2']));
    expect(heard.all).toBe(0);
  });

  it('splits a large change into announcements that fit, and announces everyone past 5000 clients', async () => {
    const { heard, clientsHeard } = await follow();
    // Long ids holding what JSON escapes and several bytes per character: each announcement still fits.
    const ids = Array.from({ length: 3000 }, (_, i) => `c-"ü",${'ж'.repeat(100)}-${i}`);
    await inTransaction(db.pool, (client) => writeProgress(client, progressOf(ids)));
    await soon(
      () => clientsHeard().size,
      (size) => size === ids.length,
    );
    expect(clientsHeard()).toEqual(new Set(ids));
    expect(heard.changed.length).toBeGreaterThan(1);

    // A segment import is one statement however many members it brings (api/rule-admin-store.ts).
    await db.pool.query(
      `INSERT INTO segment_members (segment_id, client_id) SELECT 'big', 'many-' || n FROM generate_series(0, 5000) AS n`,
    );
    await soon(
      () => heard.all,
      (times) => times === 1,
    );
    expect(clientsHeard().has('many-0')).toBe(false);
  });

  it('announces segment imports, erasures and a truncation', async () => {
    const { heard, clientsHeard } = await follow();
    await db.pool.query(
      `INSERT INTO segment_members (segment_id, client_id) VALUES ('vip', 'c-7'), ('vip', 'c-8')`,
    );
    await soon(
      () => clientsHeard(),
      (ids) => ids.has('c-7') && ids.has('c-8'),
    );
    await inTransaction(db.pool, (client) => writeProgress(client, progressOf(['c-9'])));
    heard.changed.length = 0;
    await db.pool.query(`DELETE FROM client_progress WHERE client_id = 'c-9'`);
    await soon(
      () => clientsHeard(),
      (ids) => ids.has('c-9'),
    );
    await db.pool.query('TRUNCATE segment_members');
    await soon(
      () => heard.all,
      (times) => times === 1,
    );
  });

  it('hears nothing of another schema’s clients', async () => {
    const { clientsHeard } = await follow();
    const other = await migratedSchema();
    try {
      await inTransaction(other.pool, (client) => writeProgress(client, progressOf(['c-elsewhere'])));
      await inTransaction(db.pool, (client) => writeProgress(client, progressOf(['c-here'])));
      await soon(
        () => clientsHeard(),
        (ids) => ids.has('c-here'),
      );
      await settle();
      expect(clientsHeard()).toEqual(new Set(['c-here']));
    } finally {
      await other.drop();
    }
  });

  it('reports a lost connection, listens again, and hears what follows', async () => {
    const { heard, clientsHeard } = await follow();
    await db.pool.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
      [`client_changes:${db.schema}`],
    );
    await soon(
      () => heard.lost,
      (times) => times === 1,
    );
    await soon(
      () => heard.listening,
      (times) => times === 2,
    );
    await inTransaction(db.pool, (client) => writeProgress(client, progressOf(['c-after'])));
    await soon(
      () => clientsHeard(),
      (ids) => ids.has('c-after'),
    );
  });

  it('counts a connection that went silent as lost, and listens again on a new one', async () => {
    const url = new URL(inject('databaseUrl'));
    const proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port) });
    url.port = String(proxy.port);
    const proxied = createPool(url.toString(), db.schema);
    stops.push(async () => {
      await proxy.close();
      await proxied.end();
    });
    const record = recorder();
    const following = followClientChanges(proxied, record.listener, 1_000);
    stops.unshift(following.stop);
    await soon(
      () => record.heard.listening,
      (times) => times === 1,
    );
    proxy.freeze();
    await soon(
      () => record.heard.lost,
      (times) => times === 1,
    );
    await soon(
      () => record.heard.listening,
      (times) => times === 2,
    );
    await inTransaction(db.pool, (client) => writeProgress(client, progressOf(['c-after-silence'])));
    await soon(
      () => record.clientsHeard(),
      (ids) => ids.has('c-after-silence'),
    );
  });

  it('lets the app see its new progress right after the engine stores it, through the cache', async () => {
    const cached = cachedAchievements(
      db.pool,
      postgresReads(db.pool, () => catalog),
      100,
    );
    stops.push(cached.stop);
    const { cache } = cached;
    const base = apiDependencies();
    const app = createApp({ ...base, me: { ...base.me, reads: cached.reads } });
    const jwt = await token({ sub: 'c-app' });
    const firstPurchase = async () => {
      const response = await app.request('/v1/me/achievements', {
        headers: { Authorization: `Bearer ${jwt}` },
      });
      const { achievements } = (await response.json()) as {
        achievements: { title: string; unlocked: boolean }[];
      };
      return achievements.find((achievement) => achievement.title === 'First purchase')!.unlocked;
    };
    // Reads are kept once the cache hears announcements; until then each goes to PostgreSQL.
    await eventually(
      async () => {
        expect(await firstPurchase()).toBe(false);
        return cache.size;
      },
      (size) => size === 1,
      10_000,
    );
    const unlocked = {
      ...initialProgress(),
      unlocked: { 'first-purchase': { at: '2026-11-02T10:00:00.000Z', sourceEventId: 'tx-1' } },
    };
    await inTransaction(db.pool, (client) =>
      writeProgress(client, new Map([['c-app', { version: 1, progress: unlocked }]])),
    );
    await eventually(firstPurchase, (isUnlocked) => isUnlocked, 10_000);
  });
});
