import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatchNudges, type NudgeDispatch } from '../platform/nudge-store.js';
import type { OutputTopics } from '../platform/unlock-records.js';
import type { PushNotification } from '../rules/push.js';
import {
  ownInputTopics,
  ownOutputTopics,
  processedToEnds,
  produceEvents,
  readTopic,
  startTestProcessor,
} from './support/engine.js';
import { KYIV, purchase } from './support/events.js';
import { startRuleApi } from './support/rule-api.js';
import { migratedSchema, testKafka, uniqueName } from './support/stack.js';

const texts = (en: string) => ({ en, uk: en, he: en });

/** Coffees counted towards `target`, nudging at each of `nudges`. */
const coffeeRule = (id: string, window: Record<string, unknown>, target: number, nudges: unknown[]) => ({
  id,
  trigger: { on: 'transaction' },
  filter: { kinds: ['purchase'], categoryIds: [5814] },
  measure: { type: 'count' },
  window,
  levels: [{ achievementId: id, target, points: 10, nudges, title: texts(id), description: texts(id) }],
});

/** `count` coffees of `clientId` on 2026-11-02 from `hour` local (UTC+2), a minute apart. */
const coffees = (clientId: string, count: number, hour: string) =>
  Array.from({ length: count }, (_, i) =>
    purchase({
      clientId,
      categoryId: 5814,
      time: `2026-11-02T${hour}:${String(i).padStart(2, '0')}:00+02:00`,
    }),
  );

const at = (iso: string) => Date.parse(iso);

describe('nudges: held over quiet hours, at most 3 a day, dropped once they say nothing true (CONTRACT §2)', () => {
  const kafka = testKafka();
  let db: Awaited<ReturnType<typeof migratedSchema>>;
  let topics: Awaited<ReturnType<typeof ownInputTopics>>;
  let outputs: OutputTopics;
  let api: Awaited<ReturnType<typeof startRuleApi>>;
  let processor: Awaited<ReturnType<typeof startTestProcessor>>;
  const monthly = uniqueName('coffee-month');
  const weekly = uniqueName('coffee-week');

  beforeAll(async () => {
    db = await migratedSchema();
    topics = await ownInputTopics(kafka, 3);
    outputs = await ownOutputTopics(kafka);
    api = await startRuleApi(db.pool);
    for (const rule of [
      coffeeRule(monthly, { type: 'calendar', unit: 'month' }, 10, [
        { percent: 30 },
        { percent: 50 },
        { toGo: 2 },
      ]),
      coffeeRule(weekly, { type: 'calendar', unit: 'week' }, 6, [{ percent: 50 }, { toGo: 1 }]),
    ]) {
      expect((await api.call('POST', '/v1/admin/rules', rule)).status).toBe(201);
      expect((await api.call('POST', `/v1/admin/rules/${rule.id}/versions/1/activate`, {})).status).toBe(202);
    }
    await api.rules.refresh();
    processor = await startTestProcessor(db.pool, topics, uniqueName('group'), outputs);
  });

  afterAll(async () => {
    await processor?.stop();
    api?.stop();
    await db?.drop();
  });

  const dispatcher = (): NudgeDispatch => ({
    db: db.pool,
    zone: KYIV,
    catalog: () => api.rules.book().active(),
    pushTopic: outputs.notifications,
  });

  const nudgesOf = async (clientId: string) =>
    (
      await db.pool.query<{
        threshold: string;
        status: string;
        dropped_because: string | null;
        due_at: Date;
      }>(
        `SELECT threshold, status, dropped_because, due_at FROM nudges WHERE client_id = $1
          ORDER BY achievement_id, threshold`,
        [clientId],
      )
    ).rows.map(
      (row) => `${row.threshold} ${row.status}${row.dropped_because ? ` ${row.dropped_because}` : ''}`,
    );

  it('sends by day up to 3 a client, holds the night’s until 08:00, and drops one whose achievement came', async () => {
    const [day, night, reached] = [uniqueName('day'), uniqueName('night'), uniqueName('reached')];
    await produceEvents(kafka, topics, [
      ...coffees(day, 5, '10'), // 3 and 5 of the monthly 10, 3 and 5 of the weekly 6: four points
      ...coffees(night, 3, '21'), // 3 of 10, 3 of 6
      ...coffees(reached, 8, '21'), // 3, 5 and 8 of 10, 3 and 5 of 6, and the weekly one earned at 6
    ]);
    await processedToEnds(db.pool, kafka, topics, 60_000);
    expect(await nudgesOf(day)).toEqual(['3 pending', '5 pending', '3 pending', '5 pending']);

    // Noon: the morning's nudges are due; the client may have three of them today.
    expect(await dispatchNudges(dispatcher(), at('2026-11-02T12:00:00+02:00'))).toEqual({
      sent: 3,
      held: 0,
      dropped: 1,
    });
    expect((await nudgesOf(day)).sort()).toEqual(['3 sent', '3 sent', '5 dropped daily-limit', '5 sent']);

    // 23:30: the evening's are due, and held until 08:00 (06:00 UTC in November); the weekly ones of the
    // client who already earned the weekly achievement are dropped.
    expect(await dispatchNudges(dispatcher(), at('2026-11-02T23:30:00+02:00'))).toEqual({
      sent: 0,
      held: 5,
      dropped: 2,
    });
    const { rows: held } = await db.pool.query<{ due_at: Date }>(
      `SELECT DISTINCT due_at FROM nudges WHERE client_id = ANY($1) AND status = 'pending'`,
      [[night, reached]],
    );
    expect(held.map((row) => row.due_at.toISOString())).toEqual(['2026-11-03T06:00:00.000Z']);

    // Before morning the third client buys two more coffees and earns the monthly one: all its nudges are void.
    await produceEvents(kafka, topics, coffees(reached, 2, '23'));
    await processedToEnds(db.pool, kafka, topics, 60_000);
    expect(await dispatchNudges(dispatcher(), at('2026-11-03T07:59:00+02:00'))).toEqual({
      sent: 0,
      held: 0,
      dropped: 0,
    });
    expect(await dispatchNudges(dispatcher(), at('2026-11-03T08:00:30+02:00'))).toEqual({
      sent: 2,
      held: 0,
      dropped: 3,
    });
    expect(await nudgesOf(night)).toEqual(['3 sent', '3 sent']);
    expect(new Set(await nudgesOf(reached))).toEqual(
      new Set(['3 dropped reached', '5 dropped reached', '8 dropped reached']),
    );

    // What reached the push topic: the progress pushes sent, once each, localized, linking into the app.
    const sent = Number(
      (await db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM nudges WHERE status = 'sent'`)).rows[0]!
        .n,
    );
    const pushes = (
      await readTopic(
        kafka,
        outputs.notifications,
        [{ partition: 0, offset: '0' }],
        (message) => message.value!.toString().includes('"achievement.progress"'),
        (seen) => seen.length >= sent,
        60_000,
      )
    ).map((message) => JSON.parse(message.value!.toString()) as PushNotification);
    expect(new Set(pushes.map((push) => push.notificationId)).size).toBe(sent);
    expect(pushes.filter((push) => push.clientId === day)).toHaveLength(3);
    expect(pushes.find((push) => push.clientId === night && push.achievementId === monthly)).toMatchObject({
      kind: 'achievement.progress',
      body: 'Залишилось 7 — і досягнення ваше.',
      locale: 'uk',
      deepLink: `app://achievements/${monthly}`,
    });
  });
});
