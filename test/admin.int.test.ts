import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { postgresAdminReads } from '../api/admin-reads.js';
import { kafkaHistory } from '../api/client-history.js';
import { catalog, ownInputTopics, produceEvents } from './support/engine.js';
import { clientEvent, days, given, purchase } from './support/events.js';
import { migratedSchema, testKafka } from './support/stack.js';

const NOW = Date.parse('2026-11-20T12:00:00+02:00');

describe('operations reads on PostgreSQL', () => {
  // Each test owns a schema of its own, so each passes alone and in any order.
  let db: Awaited<ReturnType<typeof migratedSchema>>;
  beforeEach(async () => {
    db = await migratedSchema();
  });
  afterEach(() => db.drop());

  it('counts the holders of an achievement and spreads the others by progress', async () => {
    const coffees = (clientId: string, count: number) =>
      given(days('2026-11-01', count).map((time) => purchase({ clientId, categoryId: 5814, time }))).progress;
    const rows = [
      ['c-3', coffees('c-3', 3)],
      ['c-7', coffees('c-7', 7)],
      ['c-10', coffees('c-10', 10)],
    ] as const;
    for (const [clientId, progress] of rows) {
      await db.pool.query('INSERT INTO client_progress (client_id, version, progress) VALUES ($1, 1, $2)', [
        clientId,
        JSON.stringify(progress),
      ]);
    }
    await db.pool.query(
      `INSERT INTO achievement_unlocks (unlock_id, client_id, achievement_id, rule_id, points, unlocked_at, source_event_id)
       VALUES (gen_random_uuid(), 'c-10', 'coffee-lover', 'coffee-lover', 100, now(), 'tx')`,
    );
    const stats = await postgresAdminReads(
      db.pool,
      () => catalog,
      'Europe/Kyiv',
      () => NOW,
    ).statsOf('coffee-lover');
    expect(stats.unlocked).toBe(1);
    expect(stats.progress.filter((bucket) => bucket.clients > 0)).toEqual([
      { from: 0.3, to: 0.4, clients: 1 },
      { from: 0.7, to: 0.8, clients: 1 },
    ]);
  });

  it('counts unlocks per calendar day in the bank’s zone, every one of the last 30 days, for each achievement', async () => {
    const unlock = (clientId: string, achievementId: string, at: string) =>
      db.pool.query(
        `INSERT INTO achievement_unlocks (unlock_id, client_id, achievement_id, rule_id, points, unlocked_at, source_event_id)
         VALUES (gen_random_uuid(), $1, $2, $2, 0, $3, 'tx')`,
        [clientId, achievementId, at],
      );
    // 23:30 UTC on the 18th is already the 19th in Kyiv; the 20th's unlock is today's; October's is too old.
    await unlock('c-1', 'coffee-lover', '2026-11-18T23:30:00Z');
    await unlock('c-2', 'coffee-lover', '2026-11-19T09:00:00+02:00');
    await unlock('c-3', 'coffee-lover', '2026-11-20T08:00:00+02:00');
    await unlock('c-4', 'coffee-lover', '2026-10-01T08:00:00+03:00');
    await unlock('c-1', 'first-purchase', '2026-11-01T08:00:00+02:00');
    const reads = postgresAdminReads(
      db.pool,
      () => catalog,
      'Europe/Kyiv',
      () => NOW,
    );
    const overview = await reads.overview();
    const coffee = overview.find((row) => row.achievementId === 'coffee-lover')!;
    expect(coffee.unlocked).toBe(4);
    expect(coffee.unlocksPerDay).toHaveLength(30);
    expect(coffee.unlocksPerDay[0]!.day).toBe('2026-10-22');
    expect(coffee.unlocksPerDay.at(-1)).toEqual({ day: '2026-11-20', unlocks: 1 });
    expect(coffee.unlocksPerDay.filter((day) => day.unlocks > 0)).toEqual([
      { day: '2026-11-19', unlocks: 2 },
      { day: '2026-11-20', unlocks: 1 },
    ]);
    expect(overview.map((row) => row.achievementId)).toEqual([...catalog.achievements.keys()]);
    expect((await reads.statsOf('first-purchase')).unlocksPerDay.find((day) => day.unlocks > 0)).toEqual({
      day: '2026-11-01',
      unlocks: 1,
    });
  });

  it('filters the audit log by who, by the start of what, and by when', async () => {
    const reads = postgresAdminReads(db.pool, () => catalog, 'Europe/Kyiv');
    const entry = (actorId: string, action: string, at: string) =>
      db.pool.query(
        `INSERT INTO audit_log (at, actor_id, actor_role, action, target, reason) VALUES ($1, $2, 'admin', $3, 't', 'r')`,
        [at, actorId, action],
      );
    await entry('emp-1', 'rule.create', '2026-11-01T10:00:00Z');
    await entry('emp-1', 'rule.activate', '2026-11-02T10:00:00Z');
    await entry('emp-2', 'rule.create', '2026-11-03T10:00:00Z');
    await entry('emp-1', 'dead-letter.redrive', '2026-11-04T10:00:00Z');
    const actions = async (query: Parameters<typeof reads.auditLog>[0]) =>
      (await reads.auditLog(query)).map((e) => `${e.actorId} ${e.action}`);
    expect(await actions({ limit: 10, actorId: 'emp-1', action: 'rule.' })).toEqual([
      'emp-1 rule.activate',
      'emp-1 rule.create',
    ]);
    expect(
      await actions({
        limit: 10,
        fromMs: Date.parse('2026-11-02T00:00:00Z'),
        toMs: Date.parse('2026-11-04T00:00:00Z'),
      }),
    ).toEqual(['emp-2 rule.create', 'emp-1 rule.activate']);
    expect(await actions({ limit: 1 })).toEqual(['emp-1 dead-letter.redrive']);
  });

  it('writes audit entries and reads them back newest first', async () => {
    const reads = postgresAdminReads(db.pool, () => catalog, 'Europe/Kyiv');
    await reads.audit({
      actorId: 'e-1',
      actorRole: 'support',
      action: 'achievement.stats',
      target: 'coffee-lover',
      reason: 'dispute',
    });
    await reads.audit({
      actorId: 'a-1',
      actorRole: 'admin',
      action: 'audit.read',
      target: 'latest 5',
      reason: null,
    });
    const entries = await reads.auditLog({ limit: 5 });
    expect(entries.map((e) => [e.actorId, e.action, e.reason])).toEqual([
      ['a-1', 'audit.read', null],
      ['e-1', 'achievement.stats', 'dispute'],
    ]);
    expect(entries[0]!.at).toMatch(/^\d{4}-\d\d-\d\dT/);
  });
});

describe("a client's history from Kafka, for explain", () => {
  const kafka = testKafka();
  const groupsOnBroker = async () => {
    const admin = kafka.admin();
    await admin.connect();
    const { groups } = await admin.listGroups();
    await admin.disconnect();
    return groups.map((group) => group.groupId);
  };

  it('reads only that client’s records from both input topics, in the order the bank wrote them', async () => {
    const topics = await ownInputTopics(kafka, 3);
    const mine = days('2026-11-01', 4).map((time) =>
      purchase({ clientId: 'c-mine', categoryId: 5814, time }),
    );
    const others = days('2026-11-01', 4).map((time) => purchase({ clientId: 'c-other', time }));
    const synced = clientEvent('contacts.synced', '2026-11-02T10:00:00Z', {}, 'c-mine');
    await produceEvents(kafka, topics, [...mine.slice(0, 2), ...others]);
    await produceEvents(kafka, topics, [synced]);
    await produceEvents(kafka, topics, mine.slice(2));
    const historyOf = kafkaHistory(kafka, {
      transaction: topics.transactions,
      'client-event': topics.clientEvents,
    });
    expect(await historyOf('c-mine')).toEqual([...mine.slice(0, 2), synced, ...mine.slice(2)]);
    expect(await historyOf('c-nobody')).toEqual([]);
  });

  it('reads from the time asked for, not the whole partition, and leaves no consumer group behind', async () => {
    const topics = await ownInputTopics(kafka, 3);
    const consumers = vi.spyOn(kafka, 'consumer');
    const old = purchase({ clientId: 'c-span', time: '2026-10-01T12:00:00+03:00' });
    await produceEvents(kafka, topics, [old]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const sinceMs = Date.now();
    const recent = days('2026-11-01', 2).map((time) => purchase({ clientId: 'c-span', time }));
    await produceEvents(kafka, topics, recent);
    const historyOf = kafkaHistory(kafka, {
      transaction: topics.transactions,
      'client-event': topics.clientEvents,
    });
    expect(await historyOf('c-span', sinceMs)).toEqual(recent);
    expect(await historyOf('c-span', undefined)).toEqual([old, ...recent]);
    const used = consumers.mock.calls.map(([options]) => options.groupId);
    expect(used).toHaveLength(2);
    const left = await groupsOnBroker();
    expect(used.filter((groupId) => left.includes(groupId))).toEqual([]);
  });
});
