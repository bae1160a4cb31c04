import { afterAll, describe, expect, it } from 'vitest';
import type { InputEvent } from '../rules/events.js';
import { decide } from '../rules/decide.js';
import { initialProgress, type ClientProgress } from '../rules/progress.js';
import { unlockIdOf } from '../platform/unlock-records.js';
import { catalog, eventually, produceEvents, readTopic, topicEnds } from './support/engine.js';
import { killGroup, startRole, type Child } from '../scripts/children.js';
import { ownEngine } from './support/roles.js';
import { clientEvent, days, purchase, refund } from './support/events.js';
import { migratedSchema, testKafka, uniqueName } from './support/stack.js';

/** A varied history per client: coffees (with a duplicate and a refund), countries, a streak, an app action. */
function historyOf(clientId: string, n: number): InputEvent[] {
  const coffees = [...days('2026-11-01', 6, '08:00'), ...days('2026-11-01', 6, '15:00')].map((time) =>
    purchase({ clientId, categoryId: 5814, time, amount: 9_000 + n }),
  );
  const trips = ['PL', 'DE', 'FR']
    .slice(0, 1 + (n % 3))
    .map((country, i) =>
      purchase({ clientId, time: `2026-0${i + 4}-10T12:00:00+03:00`, geo: { lat: 0, lon: 0, country } }),
    );
  const events = [
    ...coffees.slice(0, 6),
    coffees[2]!,
    ...trips,
    refund(coffees[n % 6]!, '2026-11-06T20:00:00+02:00'),
  ];
  events.push(...coffees.slice(6), clientEvent('contacts.synced', '2026-11-03T10:00:00Z', {}, clientId));
  return events;
}

function expectedOutcome(events: InputEvent[]) {
  let progress: ClientProgress = initialProgress();
  let version = 0;
  for (const event of events) {
    const decision = decide(progress, event, catalog, 'Europe/Kyiv');
    if (decision.progress !== progress) version++;
    progress = decision.progress;
  }
  return { progress, version };
}

describe('crash and restart (kill -9)', () => {
  const kafka = testKafka();

  /**
   * The worst case of a crash between the PostgreSQL commit and the Kafka commit: Kafka remembers nothing, so
   * the restarted instance is handed every record again and must skip what it already applied. Resetting the
   * group's offsets makes that case certain rather than a matter of timing.
   */
  async function forgetKafkaOffsets(groupId: string, topicNames: string[]) {
    const admin = kafka.admin();
    await admin.connect();
    const groupEmpty = async () => (await admin.describeGroups([groupId])).groups[0]!.state;
    await eventually(groupEmpty, (state) => state === 'Empty', 30_000);
    for (const topic of topicNames) await admin.resetOffsets({ groupId, topic, earliest: true });
    await admin.disconnect();
  }
  let db: Awaited<ReturnType<typeof migratedSchema>>;
  const children: Child[] = [];

  afterAll(async () => {
    for (const child of children) killGroup(child);
    await db?.drop();
  });

  it('resumes from the stored offsets and progress: nothing lost, nothing counted or unlocked twice', async () => {
    db = await migratedSchema();
    const engine = await ownEngine(kafka, db.schema);
    const topics = engine.inputs;
    // Enough records that the instance is still working through them when it is killed.
    const clients = Array.from({ length: 400 }, (_, n) => ({ clientId: uniqueName(`c${n}`), n }));
    const histories = new Map(clients.map(({ clientId, n }) => [clientId, historyOf(clientId, n)]));
    const waves = Array.from({ length: 10 }, (_, wave) =>
      clients.flatMap(({ clientId }) => histories.get(clientId)!.filter((_, i) => i % 10 === wave)),
    );
    const unlockedFrom = await topicEnds(kafka, engine.outputs.unlocked);
    const storedOffsets = async () =>
      Number(
        (await db.pool.query<{ n: string | null }>('SELECT sum(next_offset) AS n FROM consumer_offsets'))
          .rows[0]!.n ?? 0,
      );

    for (const wave of waves) await produceEvents(kafka, topics, wave);
    const total = [...histories.values()].reduce((sum, events) => sum + events.length, 0);
    // Not waited for until ready: it is killed as soon as it has committed anything.
    const first = await startRole('processor', engine.env, { ready: false });
    children.push(first);
    await eventually(storedOffsets, (n) => n > 0);
    killGroup(first);
    const killedAt = await storedOffsets();
    console.log(`crash test: killed with ${killedAt} of ${total} records committed`);
    // The kill landed mid-run: some batches were committed, and records were left for the next instance.
    expect(killedAt).toBeGreaterThan(0);
    expect(killedAt).toBeLessThan(total);
    await forgetKafkaOffsets(engine.groups.processors, [topics.transactions, topics.clientEvents]);
    children.push(await startRole('processor', engine.env));
    await eventually(storedOffsets, (n) => n === total, 60_000);

    // Each client's waves arrive in the order its history was cut into them, per topic.
    const arrival = (clientId: string) =>
      waves.flatMap((wave) => wave.filter((e) => e.clientId === clientId));
    const { rows } = await db.pool.query<{ client_id: string; version: string; progress: ClientProgress }>(
      'SELECT client_id, version, progress FROM client_progress',
    );
    expect(rows).toHaveLength(clients.length);
    for (const row of rows) {
      const expected = expectedOutcome(arrival(row.client_id));
      expect(row.progress).toEqual(expected.progress);
      expect(Number(row.version)).toBe(expected.version);
    }

    const unlocks = await db.pool.query<{ unlock_id: string; client_id: string; achievement_id: string }>(
      'SELECT unlock_id, client_id, achievement_id FROM achievement_unlocks',
    );
    const expectedUnlocks = clients.flatMap(({ clientId }) =>
      Object.keys(expectedOutcome(arrival(clientId)).progress.unlocked).map((id) => `${clientId}/${id}`),
    );
    expect(unlocks.rows.map((u) => `${u.client_id}/${u.achievement_id}`).sort()).toEqual(
      expectedUnlocks.sort(),
    );

    // Every unlock's records left the outbox (the broker took them) before they are looked for on the topic:
    // one still waiting there is slowness, one missing from the topic after that is lost.
    await eventually(
      async () => (await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox')).rows[0]!.n,
      (n) => n === 0,
      120_000,
    );
    const ours = new Set(clients.map((c) => c.clientId));
    const expectedIds = new Set(unlocks.rows.map((u) => unlockIdOf(u.client_id, u.achievement_id)));
    // Gathered as the records are read: looking each id up in every record read so far, per record, took
    // minutes of a loaded CI machine's CPU.
    const publishedIds = new Set<string>();
    await readTopic(
      kafka,
      engine.outputs.unlocked,
      unlockedFrom,
      (m) => {
        if (!ours.has(m.key!.toString())) return false;
        publishedIds.add((JSON.parse(m.value!.toString()) as { unlockId: string }).unlockId);
        return true;
      },
      () => [...expectedIds].every((id) => publishedIds.has(id)),
      60_000,
    );
    expect(publishedIds).toEqual(expectedIds);
    // Two group handovers (the kill, the restart), a whole history and its outbox drained through the shared
    // unlock topic: well over two minutes when CI runs other engines beside it.
  }, 300_000);
});
