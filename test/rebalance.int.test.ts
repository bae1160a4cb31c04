import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InputEvent } from '../rules/events.js';
import type { RunningProcessor } from '../actors/processor.js';
import { decide } from '../rules/decide.js';
import { initialProgress, type ClientProgress } from '../rules/progress.js';
import { viewOf } from '../rules/progress-view.js';
import { catalog, eventually, ownInputTopics, produceEvents, startTestProcessor } from './support/engine.js';
import { clientEvent, days, purchase } from './support/events.js';
import { TOPICS } from '../platform/topics.js';
import { migratedSchema, testKafka, uniqueName } from './support/stack.js';

const CLIENTS = 60;
/** Long enough that no checkpoint falls due while a test runs: only handovers and stops store progress. */
const NOT_DUE = { intervalMs: 600_000, events: 1_000_000 };

describe('two processor instances in one consumer group', () => {
  const kafka = testKafka();
  let db: Awaited<ReturnType<typeof migratedSchema>>;
  const running: RunningProcessor[] = [];

  beforeAll(async () => {
    db = await migratedSchema();
  });

  /** Each client's stored progress, checked to be what `decide()` folds its events into; answered for more checks. */
  async function storedAsDecided(clientIds: string[], sent: InputEvent[]) {
    const { rows } = await db.pool.query<{ client_id: string; progress: ClientProgress }>(
      'SELECT client_id, progress FROM client_progress WHERE client_id = ANY($1)',
      [clientIds],
    );
    expect(rows).toHaveLength(clientIds.length);
    for (const row of rows) {
      let expected = initialProgress();
      for (const event of sent.filter((e) => e.clientId === row.client_id))
        expected = decide(expected, event, catalog, 'Europe/Kyiv').progress;
      expect(row.progress).toEqual(expected);
    }
    return rows;
  }

  afterAll(async () => {
    await Promise.all(running.map((p) => p.stop().catch(() => undefined)));
    await db?.drop();
  });

  it('share the partitions, release revoked clients, and hand state over without loss', async () => {
    const topics = await ownInputTopics(kafka, 6);
    const groupId = uniqueName('group');
    const clientIds = Array.from({ length: CLIENTS }, (_, n) => uniqueName(`c${n}`));
    const sent: InputEvent[] = [];
    // Each wave is a day of coffee for every client: three waves lead towards coffee-lover and week-streak.
    const wave = async (day: string) => {
      const events = clientIds.flatMap((clientId) =>
        days(day, 1, '08:00').map((time) => purchase({ clientId, categoryId: 5814, time })),
      );
      sent.push(...events);
      await produceEvents(kafka, topics, events);
      await eventually(
        async () =>
          Number(
            (
              await db.pool.query<{ n: string }>(
                'SELECT coalesce(sum(next_offset), 0) AS n FROM consumer_offsets WHERE group_id = $1',
                [groupId],
              )
            ).rows[0]!.n,
          ),
        (n) => n === sent.length,
      );
    };

    const first = await startTestProcessor(db.pool, topics, groupId);
    running.push(first);
    await wave('2026-11-01');
    expect(first.actors.size).toBe(CLIENTS);

    const second = await startTestProcessor(db.pool, topics, groupId);
    running.push(second);
    await eventually(
      () => Promise.resolve(first.actors.size),
      (size) => size < CLIENTS,
    );
    await wave('2026-11-02');
    expect(second.actors.size).toBeGreaterThan(0);
    expect(first.actors.size + second.actors.size).toBe(CLIENTS);

    await second.stop();
    running.pop();
    await wave('2026-11-03');
    expect(first.actors.size).toBe(CLIENTS);

    for (const row of await storedAsDecided(clientIds, sent)) {
      const coffeeLover = catalog.achievements.get('coffee-lover')!;
      expect(
        viewOf(coffeeLover, row.progress, Date.parse('2026-11-04T12:00:00+02:00'), 'Europe/Kyiv').progress,
      ).toEqual({ current: 3, target: 10 });
    }
  });

  it('hand each partition over between two checkpoints with the progress it held: nothing lost, nothing counted twice', async () => {
    const topics = await ownInputTopics(kafka, 6);
    const groupId = uniqueName('group');
    const clientIds = Array.from({ length: CLIENTS }, (_, n) => uniqueName(`c${n}`));
    const sent: InputEvent[] = [];
    const unlocked = async (achievementId: string) =>
      Number(
        (
          await db.pool.query<{ n: string }>(
            'SELECT count(*) AS n FROM achievement_unlocks WHERE achievement_id = $1 AND client_id = ANY($2)',
            [achievementId, clientIds],
          )
        ).rows[0]!.n,
      );
    // Each wave unlocks an achievement for every client, stored at once: proof the wave was applied.
    const wave = async (events: InputEvent[], achievementId: string) => {
      sent.push(...events);
      await produceEvents(kafka, topics, events);
      await eventually(
        () => unlocked(achievementId),
        (n) => n === CLIENTS,
      );
    };
    const start = async () => {
      const processor = await startTestProcessor(db.pool, topics, groupId, TOPICS, kafka, NOT_DUE);
      running.push(processor);
      return processor;
    };

    const first = await start();
    await wave(
      clientIds.map((clientId) =>
        purchase({ clientId, categoryId: 5814, time: '2026-11-02T08:00:00+02:00' }),
      ),
      'first-purchase',
    );
    const checkpointed = async () =>
      Number(
        (
          await db.pool.query<{ n: string }>(
            'SELECT count(*) AS n FROM client_progress WHERE client_id = ANY($1)',
            [clientIds],
          )
        ).rows[0]!.n,
      );
    // Mid-interval: the progress is in the actors only.
    expect(await checkpointed()).toBe(0);

    const second = await start();
    await eventually(
      () => Promise.resolve(first.actors.size),
      (size) => size < CLIENTS,
    );
    await wave(
      clientIds.map((clientId) => clientEvent('contacts.synced', '2026-11-03T09:00:00Z', {}, clientId)),
      'contacts-synced',
    );
    expect(second.actors.size).toBeGreaterThan(0);

    await second.stop();
    running.splice(running.indexOf(second), 1);
    await wave(
      clientIds.map((clientId) =>
        purchase({ clientId, categoryId: 5814, amount: 600_000, time: '2026-11-04T08:00:00+02:00' }),
      ),
      'big-spender-bronze',
    );
    await first.stop();
    running.splice(running.indexOf(first), 1);

    await storedAsDecided(clientIds, sent);
  });
});
