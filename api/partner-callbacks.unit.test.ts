import { describe, expect, it } from 'vitest';
import { sign } from '../platform/signature.js';
import { apiDependencies } from '../test/support/api.js';
import type { PartnerCallback, RewardStatus } from '../workflows/reward-contract.js';
import { createApp } from './app.js';

const NOW_MS = Date.parse('2026-11-24T10:00:00Z');
const SECRET = 'coffee-house-secret';
const partners = new Map([
  ['coffee-house', { id: 'coffee-house', url: 'http://127.0.0.1:1', secret: SECRET }],
]);
const rewards: Record<string, { partnerId: string; workflowId: string }> = {
  'r-coffee': { partnerId: 'coffee-house', workflowId: 'reward-c-1-coffee-lover' },
  'r-tea': { partnerId: 'tea-house', workflowId: 'reward-c-1-tea-lover' },
};
/** A reward as stored, waiting for its partner's answer unless it `ended`. */
const findReward = (rewardId: string, ended?: RewardStatus) =>
  Promise.resolve(rewards[rewardId] && { ...rewards[rewardId], status: ended ?? 'requested' });

/** The app over `rewards`; a reward whose workflow has ended is found with the status it `ended` in. */
function setup(
  secrets: ReadonlyMap<string, { secret: string; previousSecret?: string }> = partners,
  ended?: RewardStatus,
) {
  const delivered: [string, PartnerCallback][] = [];
  const app = createApp(
    apiDependencies({
      partnerCallbacks: {
        partners: secrets,
        findReward: (rewardId) => findReward(rewardId, ended),
        deliver: (workflowId, callback) => {
          // A workflow that has ended takes nothing more.
          if (ended !== undefined) return Promise.resolve(false);
          delivered.push([workflowId, callback]);
          return Promise.resolve(true);
        },
        nowMs: () => NOW_MS,
      },
    }),
  );
  return { app, delivered };
}

const fulfilled = { rewardId: 'r-coffee', status: 'fulfilled', voucherCode: 'CAFE-42' };

function post(body: unknown, { partner = 'coffee-house', secret = SECRET, timestampS = NOW_MS / 1000 } = {}) {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const timestamp = String(timestampS);
  return {
    path: `/v1/partners/${partner}/callbacks`,
    init: {
      method: 'POST',
      body: raw,
      headers: {
        'Content-Type': 'application/json',
        'X-Timestamp': timestamp,
        'X-Signature': sign(secret, timestamp, raw),
      },
    },
  };
}

describe('POST /v1/partners/{partnerId}/callbacks', () => {
  it('delivers a signed, fresh callback about its own reward and answers 202', async () => {
    const { app, delivered } = setup();
    const { path, init } = post(fulfilled);
    const response = await app.request(path, init);
    expect(response.status).toBe(202);
    expect(delivered).toEqual([['reward-c-1-coffee-lover', { status: 'fulfilled', voucherCode: 'CAFE-42' }]]);
  });

  it.each(['fulfilled', 'rejected'] as const)(
    'answers 202 to a repeat after the reward was %s by an answer, and changes nothing',
    async (ended) => {
      const { app, delivered } = setup(partners, ended);
      const { path, init } = post(fulfilled);
      expect((await app.request(path, init)).status).toBe(202);
      expect(delivered).toEqual([]);
    },
  );

  it.each(['timed_out', 'failed', 'cancelled'] as const)(
    'refuses with 409 a callback after the reward ended %s without one, so the partner knows',
    async (ended) => {
      const { app, delivered } = setup(partners, ended);
      const { path, init } = post(fulfilled);
      const response = await app.request(path, init);
      expect(response.status).toBe(409);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(((await response.json()) as { detail: string }).detail).toContain(`it is ${ended}`);
      expect(delivered).toEqual([]);
    },
  );

  it('during a rotation, accepts callbacks signed with the new secret or the one being rotated out', async () => {
    const rotating = new Map([
      ['coffee-house', { secret: 'coffee-house-new-secret', previousSecret: SECRET }],
    ]);
    const { app, delivered } = setup(rotating);
    const statusOf = async ({ path, init }: ReturnType<typeof post>) =>
      (await app.request(path, init)).status;
    expect(await statusOf(post(fulfilled))).toBe(202);
    expect(await statusOf(post(fulfilled, { secret: 'coffee-house-new-secret' }))).toBe(202);
    expect(await statusOf(post(fulfilled, { secret: 'guess' }))).toBe(401);
    expect(delivered).toHaveLength(2);
    // Once the old secret is unset, what it signs is refused.
    const rotated = setup(new Map([['coffee-house', { secret: 'coffee-house-new-secret' }]]));
    const { path, init } = post(fulfilled);
    expect((await rotated.app.request(path, init)).status).toBe(401);
  });

  it.each([
    ['an unknown partner', post(fulfilled, { partner: 'tea-house' }), 404],
    ['a wrong signature', post(fulfilled, { secret: 'guess' }), 401],
    ['a timestamp 6 minutes old', post(fulfilled, { timestampS: NOW_MS / 1000 - 360 }), 401],
    ['a reward that does not exist', post({ ...fulfilled, rewardId: 'reward-c-9-x' }), 404],
    ["another partner's reward", post({ ...fulfilled, rewardId: 'r-tea' }), 404],
    ['a body that is not JSON', post('{"rewardId"'), 400],
    [
      'a fulfilled status without a voucher',
      post({ rewardId: fulfilled.rewardId, status: 'fulfilled' }),
      400,
    ],
    ['an unknown status', post({ ...fulfilled, status: 'done' }), 400],
    ['a reward id holding NUL', post({ ...fulfilled, rewardId: 'r-\u0000' }), 400],
    ['a voucher that is a URL', post({ ...fulfilled, voucherCode: 'https://evil.example/win' }), 400],
    ['a voucher that is markup', post({ ...fulfilled, voucherCode: '<img src=x onerror=alert(1)>' }), 400],
    [
      'a voucher that looks like a card number',
      post({ ...fulfilled, voucherCode: '4111-1111-1111-1111' }),
      400,
    ],
    ['a voucher of 41 characters', post({ ...fulfilled, voucherCode: 'V'.repeat(41) }), 400],
    ['a reason with a bidi override', post({ ...fulfilled, reason: 'ok \u202e' }), 400],
  ])('refuses %s with a problem and changes nothing', async (_case, { path, init }, status) => {
    const { app, delivered } = setup();
    const response = await app.request(path, init);
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(((await response.json()) as { detail: string }).detail.length).toBeGreaterThan(10);
    expect(delivered).toEqual([]);
  });

  it('refuses a callback whose body was changed after signing', async () => {
    const { app, delivered } = setup();
    const { path, init } = post(fulfilled);
    const response = await app.request(path, {
      ...init,
      body: JSON.stringify({ ...fulfilled, voucherCode: 'FAKE' }),
    });
    expect(response.status).toBe(401);
    expect(delivered).toEqual([]);
  });

  it('takes a voucher code of letters, digits and dashes as the partner sent it', async () => {
    const { app, delivered } = setup();
    const { path, init } = post({ ...fulfilled, voucherCode: 'cafe_2026-XMAS-0042' });
    expect((await app.request(path, init)).status).toBe(202);
    expect(delivered[0]![1].voucherCode).toBe('cafe_2026-XMAS-0042');
  });
});

describe('failed authentications from one source', () => {
  const from = (address: string, { path, init }: ReturnType<typeof post>) =>
    [path, { ...init, headers: { ...init.headers, 'X-Forwarded-For': address } }] as const;

  it('are refused with 429 past the limit, for that source only, on every guarded route', async () => {
    const app = createApp(
      apiDependencies({
        partnerCallbacks: {
          partners,
          findReward: (rewardId) => findReward(rewardId),
          deliver: () => Promise.resolve(true),
          nowMs: () => NOW_MS,
        },
        limits: { failedAuth: { limit: 2, windowMs: 60_000 } },
        trustedProxyHops: 1,
      }),
    );
    const forged = post(fulfilled, { secret: 'guess' });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await app.request(...from('10.0.0.9', forged))).status);
    expect(statuses).toEqual([401, 401, 429]);
    const meAsAttacker = await app.request('/v1/me/loyalty', {
      headers: { Authorization: 'Bearer not.a.jwt', 'X-Forwarded-For': '10.0.0.9' },
    });
    expect(meAsAttacker.status).toBe(429);
    expect(meAsAttacker.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await app.request(...from('10.0.0.10', post(fulfilled)))).status).toBe(202);
  });
});
