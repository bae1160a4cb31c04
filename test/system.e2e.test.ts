import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unlockIdOf } from '../platform/unlock-records.js';
import { eventually, produceEvents } from './support/engine.js';
import { days, purchase } from './support/events.js';
import { uniqueName } from './support/stack.js';
import { token } from './support/tokens.js';
import { startWholeSystem, type WholeSystem } from './support/whole-system.js';

describe('the whole system', () => {
  let system: WholeSystem;

  beforeAll(async () => {
    system = await startWholeSystem({ LOG_LEVEL: 'info' });
  }, 300_000);

  afterAll(async () => {
    await system?.stop();
  });

  it('turns card transactions into an achievement the client reads, and a partner voucher in their loyalty, logged under one correlation id', async () => {
    const { kafka, inputs, partner, app } = system;
    const clientId = uniqueName('c');
    partner.behave(unlockIdOf(clientId, 'coffee-lover'), { kind: 'fulfil', voucherCode: 'E2E-CAFE-7' });
    const coffeeTimes = [...days('2026-11-01', 5, '08:00'), ...days('2026-11-01', 5, '16:00')];
    const coffeeIds = coffeeTimes.map(() => uniqueName('tx'));
    const coffees = coffeeTimes.map((time, i) =>
      purchase({ id: coffeeIds[i]!, clientId, categoryId: 5814, time }),
    );
    await produceEvents(kafka, inputs, coffees);

    const bearer = await token({ sub: clientId, iat: Math.floor(Date.now() / 1000) });
    const read = async (path: string) =>
      (
        await app.request(path, { headers: { Authorization: `Bearer ${bearer}`, 'Accept-Language': 'en' } })
      ).json();
    const achievements = (
      await eventually(
        () => read('/v1/me/achievements') as Promise<{ achievements: { id: string; unlocked: boolean }[] }>,
        (body) => body.achievements.some((a) => a.id === 'coffee-lover' && a.unlocked),
      )
    ).achievements;
    expect(
      achievements
        .filter((a) => a.unlocked)
        .map((a) => a.id)
        .sort(),
    ).toEqual(['coffee-lover', 'first-purchase']);

    type LoyaltyBody = {
      points: number;
      rewards: { achievementId: string; status: string; voucherCode: string | null }[];
    };
    const loyalty = await eventually(
      () => read('/v1/me/loyalty') as Promise<LoyaltyBody>,
      (body) => body.rewards.some((r) => r.achievementId === 'coffee-lover' && r.status === 'fulfilled'),
    );
    expect(loyalty.points).toBe(150);
    expect(loyalty.rewards.find((r) => r.achievementId === 'coffee-lover')).toMatchObject({
      status: 'fulfilled',
      voucherCode: 'E2E-CAFE-7',
    });

    // Support follows the unlock from the record that caused it to the partner's callback by one id.
    const unlockId = unlockIdOf(clientId, 'coffee-lover');
    const ofUnlock = () => Promise.resolve(system.logs().filter((line) => line.correlationId === unlockId));
    // The push follows the `fulfilled` the app has just read. The callback's line is written once Temporal has
    // acknowledged its signal, which on a busy machine can come after the workflow went on to the push.
    const chain = await eventually(ofUnlock, (lines) =>
      ['client notified of the fulfilled reward', 'partner callback delivered'].every((msg) =>
        lines.some((line) => line.msg === msg),
      ),
    );
    const steps = chain.map(({ component, msg }) => `${String(component)}: ${String(msg)}`);
    expect(steps).toEqual(
      expect.arrayContaining([
        'processor: achievement unlocked',
        'reward-starter: reward workflow started',
        'rewards: points granted',
        'rewards: reward status recorded',
        'partner-requests: partner asked for its reward',
        'partner-callbacks: partner callback delivered',
        'rewards: client notified of the fulfilled reward',
      ]),
    );
    // The tenth coffee, the last record written to the client's partition, is the one that unlocked it.
    expect(chain.find((line) => line.msg === 'achievement unlocked')).toMatchObject({
      eventId: coffeeIds.at(-1),
      record: { topic: inputs.transactions, offset: '9' },
    });
    expect(chain.filter((line) => line.msg === 'reward status recorded').map((line) => line.status)).toEqual([
      'requested',
      'fulfilled',
    ]);
    // The callback's line names its HTTP request, whose own line says how it was answered.
    const { requestId } = chain.find((line) => line.msg === 'partner callback delivered')!;
    expect(typeof requestId).toBe('string');
    // The API is a process of its own: its lines reach the test through a pipe, a moment after the answer.
    const linesOfRequest = (id: string) =>
      eventually(
        () => Promise.resolve(system.logs().filter((line) => line.requestId === id)),
        (lines) => lines.some((line) => line.msg === 'request answered'),
      );
    expect(
      (await linesOfRequest(requestId as string)).filter((line) => line.msg === 'request answered'),
    ).toEqual([expect.objectContaining({ route: '/v1/partners/:partnerId/callbacks', status: 202 })]);
    // Any request's id is answered to the caller, who can quote it to support.
    const answered = await app.request('/v1/me/loyalty', {
      headers: { Authorization: `Bearer ${bearer}`, 'X-Request-Id': 'app-session-42-call-7' },
    });
    expect(answered.headers.get('X-Request-Id')).toBe('app-session-42-call-7');
    expect(await linesOfRequest('app-session-42-call-7')).toEqual([
      expect.objectContaining({ route: '/v1/me/loyalty', status: 200 }),
    ]);
    // No line of the whole run holds the partner's secret (the worker logs the partners it serves).
    expect(system.logs().filter((line) => JSON.stringify(line).includes(system.partnerSecret))).toEqual([]);
    // No line about the unlock names the client (the workflow id does, so it is not logged): logs outlive an
    // erasure.
    expect(chain.filter((line) => JSON.stringify(line).includes(clientId))).toEqual([]);
  });
});
