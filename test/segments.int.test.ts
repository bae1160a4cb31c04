import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  ownInputTopics,
  produceEvents,
  startTestProcessor,
  unlocksOf,
} from './support/engine.js';
import { clientEvent, purchase, ruleDocument } from './support/events.js';
import { startRuleApi } from './support/rule-api.js';
import { migratedSchema, testKafka, uniqueName } from './support/stack.js';

/** A welcome for one audience: its first purchase after it joined. */
const welcome = (id: string, audience: unknown) => {
  const firstPurchase = ruleDocument('first-purchase');
  const [level] = firstPurchase.levels as Record<string, unknown>[];
  return {
    ...firstPurchase,
    id,
    version: undefined,
    audience,
    levels: [{ ...level, achievementId: id }],
    examples: [],
  };
};

describe('targeting segments and client attributes', () => {
  const kafka = testKafka();
  let db: Awaited<ReturnType<typeof migratedSchema>>;
  let topics: Awaited<ReturnType<typeof ownInputTopics>>;
  let processor: Awaited<ReturnType<typeof startTestProcessor>>;
  let api: Awaited<ReturnType<typeof startRuleApi>>;

  beforeAll(async () => {
    db = await migratedSchema();
    topics = await ownInputTopics(kafka);
    processor = await startTestProcessor(db.pool, topics);
    api = await startRuleApi(db.pool);
    for (const rule of [
      welcome('pilot-welcome', { segments: ['pilot'] }),
      welcome('gold-welcome', { attributes: { cardProduct: { in: ['gold', 'black'] } } }),
    ]) {
      const created = await call('POST', '/v1/admin/rules', rule);
      expect(created.status).toBe(201);
      expect((await call('POST', `/v1/admin/rules/${rule.id}/versions/1/activate`)).status).toBe(202);
    }
    // The processor and the API each follow the rule book on their own: both must have read the activations.
    await eventually(
      () => Promise.resolve([processor.rules, api.rules].map((feed) => feed.book().active().rules.length)),
      (live) => live.every((count) => count === 9),
    );
  });

  afterAll(async () => {
    api?.stop();
    await processor?.stop();
    await db?.drop();
  });

  const call = (method: string, path: string, body?: unknown, sub = 'emp-3', role = 'admin') =>
    api.call(method, path, body, { role, sub });
  const shownTo = async (clientId: string) =>
    (
      (await (await call('GET', '/v1/me/achievements', undefined, clientId, 'client')).json()) as {
        achievements: { id: string }[];
      }
    ).achievements.map((a) => a.id);
  let day = 0;
  const buy = (clientId: string) =>
    purchase({ clientId, time: `2026-11-${String(2 + (day++ % 20)).padStart(2, '0')}T10:00:00+02:00` });

  it('counts for a segment’s members only, from when they join, and shows them its achievements', async () => {
    const member = uniqueName('c');
    const other = uniqueName('c');
    await produceEvents(kafka, topics, [buy(member), buy(other)]);
    await eventually(
      () => unlocksOf(db.pool, member),
      (ids) => ids.includes('first-purchase'),
    );
    expect(await unlocksOf(db.pool, member)).not.toContain('pilot-welcome');
    expect(await shownTo(member)).not.toContain('pilot-welcome');

    const imported = await call('PUT', '/v1/admin/segments/pilot/members', { clientIds: [member] });
    expect(imported.status).toBe(202);
    expect(await imported.json()).toEqual({ segmentId: 'pilot', added: 1, removed: 0, members: 1 });
    expect(await shownTo(member)).toContain('pilot-welcome');
    expect(await shownTo(other)).not.toContain('pilot-welcome');

    // The member's actor is cached; it hears of the import within a second, and its next purchases count.
    await eventually(
      async () => {
        await produceEvents(kafka, topics, [buy(member), buy(other)]);
        return unlocksOf(db.pool, member);
      },
      (ids) => ids.includes('pilot-welcome'),
    );
    expect(await unlocksOf(db.pool, other)).not.toContain('pilot-welcome');
  });

  it('reads the audience’s conditions on attributes set by attributes.updated events', async () => {
    const gold = uniqueName('c');
    const silver = uniqueName('c');
    await produceEvents(kafka, topics, [
      clientEvent('attributes.updated', '2026-11-01T09:00:00Z', { cardProduct: 'gold', city: 'Kyiv' }, gold),
      clientEvent('attributes.updated', '2026-11-01T09:00:00Z', { cardProduct: 'silver' }, silver),
    ]);
    await eventually(
      async () =>
        (await db.pool.query('SELECT 1 FROM client_progress WHERE client_id = ANY($1)', [[gold, silver]]))
          .rowCount,
      (n) => n === 2,
    );
    await produceEvents(kafka, topics, [buy(gold), buy(silver)]);
    await eventually(
      () => unlocksOf(db.pool, silver),
      (ids) => ids.includes('first-purchase'),
    );
    await eventually(
      () => unlocksOf(db.pool, gold),
      (ids) => ids.includes('gold-welcome'),
    );
    expect(await unlocksOf(db.pool, silver)).not.toContain('gold-welcome');
    expect(await shownTo(gold)).toContain('gold-welcome');
    expect(await shownTo(silver)).not.toContain('gold-welcome');
  });

  it('imports 100 000 members in one call, and replaces a segment’s members when asked', async () => {
    const clientIds = Array.from({ length: 100_000 }, (_, n) => `bulk-${n}`);
    const started = Date.now();
    const imported = await call('PUT', '/v1/admin/segments/bulk/members', { clientIds });
    expect(imported.status).toBe(202);
    expect(await imported.json()).toEqual({
      segmentId: 'bulk',
      added: 100_000,
      removed: 0,
      members: 100_000,
    });
    console.log(`segment import of 100 000 client ids: ${Date.now() - started} ms`);
    const replaced = await call('PUT', '/v1/admin/segments/bulk/members', {
      clientIds: ['bulk-1', 'bulk-new'],
      replace: true,
    });
    expect(await replaced.json()).toEqual({ segmentId: 'bulk', added: 1, removed: 99_999, members: 2 });
    const tooMany = await call('PUT', '/v1/admin/segments/bulk/members', {
      clientIds: [...clientIds, 'one-more'],
    });
    expect(tooMany.status).toBe(400);
  });
});
