import { describe, expect, it } from 'vitest';
import { initialProgress } from '../rules/progress.js';
import { apiDependencies } from '../test/support/api.js';
import { buildCatalog } from '../rules/catalog.js';
import type { RefusedUnlock } from '../rules/budget-view.js';
import { days, given, purchase, ruleDocument } from '../test/support/events.js';
import { badTokens, token } from '../test/support/tokens.js';
import { createApp } from './app.js';
import type { Loyalty } from './client-reads.js';

const NOW = Date.parse('2026-11-20T12:00:00+02:00');
const progress = given(
  days('2026-11-01', 3).map((time) => purchase({ clientId: 'c-1', categoryId: 5814, time })),
).progress;
const loyalty: Loyalty = {
  points: 150,
  tier: 'bronze',
  rewards: [
    {
      rewardId: 'r-1',
      achievementId: 'coffee-lover',
      points: 100,
      status: 'fulfilled',
      partnerId: 'coffee-house',
      voucherCode: 'CAFE-1',
    },
  ],
};

function setup() {
  const asked: string[] = [];
  const base = apiDependencies();
  const app = createApp({
    ...base,
    me: {
      ...base.me,
      nowMs: () => NOW,
      reads: {
        achievementsOf: (clientId) =>
          Promise.resolve(void asked.push(clientId)).then(() => ({
            progress: clientId === 'c-1' ? progress : initialProgress(),
            segments: [],
          })),
        loyaltyOf: (clientId) => Promise.resolve(void asked.push(clientId)).then(() => loyalty),
      },
    },
  });
  return { app, asked };
}

const get = async (
  app: ReturnType<typeof setup>['app'],
  path: string,
  bearer?: string,
  headers: Record<string, string> = {},
) => app.request(path, { headers: { ...(bearer ? { Authorization: `Bearer ${bearer}` } : {}), ...headers } });

describe('the mobile routes and their auth matrix', () => {
  for (const path of ['/v1/me/achievements', '/v1/me/loyalty']) {
    it(`${path}: a client token reads that client's own data`, async () => {
      const { app, asked } = setup();
      const response = await get(app, path, await token({ sub: 'c-1' }));
      expect(response.status).toBe(200);
      expect(asked).toEqual(['c-1']);
    });

    it(`${path}: another client's token reads only that other client`, async () => {
      const { app, asked } = setup();
      expect((await get(app, path, await token({ sub: 'c-2' }))).status).toBe(200);
      expect(asked).toEqual(['c-2']);
    });

    it.each(['support', 'admin'])(`${path}: a %s token is refused with 403`, async (role) => {
      const { app, asked } = setup();
      const response = await get(app, path, await token({ sub: 'e-1', role }));
      expect(response.status).toBe(403);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(asked).toEqual([]);
    });

    it(`${path}: no token is refused with 401`, async () => {
      const { app } = setup();
      const response = await get(app, path);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
    });

    it(`${path}: malformed, expired, over-long, future-dated, forged, alg none, role-less and bad-subject tokens are refused with 401`, async () => {
      const { app, asked } = setup();
      for (const [kind, bad] of await badTokens()) {
        const response = await get(app, path, bad);
        expect(response.status, kind).toBe(401);
        expect(((await response.json()) as { detail: string }).detail, kind).toMatch(/token/);
      }
      expect(asked).toEqual([]);
    });
  }
});

describe('GET /v1/me/achievements', () => {
  it('lists every catalog achievement with progress, localized by Accept-Language', async () => {
    const { app } = setup();
    const response = await get(app, '/v1/me/achievements', await token(), {
      'Accept-Language': 'he-IL, en;q=0.5',
    });
    const body = (await response.json()) as {
      achievements: { id: string; title: string; progress: object; unlocked: boolean }[];
    };
    expect(response.headers.get('content-language')).toBe('he');
    expect(body.achievements).toHaveLength(9);
    expect(body.achievements.find((a) => a.id === 'coffee-lover')).toMatchObject({
      title: 'חובבי קפה',
      unlocked: false,
      progress: { current: 3, target: 10 },
    });
    expect(body.achievements.find((a) => a.id === 'first-purchase')).toMatchObject({
      unlocked: true,
      unlockedAt: '2026-11-01T10:00:00.000Z',
    });
  });

  it('falls back to English for a language it does not have', async () => {
    const { app } = setup();
    const response = await get(app, '/v1/me/achievements', await token(), { 'Accept-Language': 'fr-FR' });
    const body = (await response.json()) as { achievements: { id: string; title: string }[] };
    expect(body.achievements.find((a) => a.id === 'coffee-lover')!.title).toBe('Coffee lover');
  });

  it('answers 304 to a matching If-None-Match, and 200 with a new ETag once the language differs', async () => {
    const { app } = setup();
    const bearer = await token();
    const first = await get(app, '/v1/me/achievements', bearer, { 'Accept-Language': 'uk' });
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^".+"$/);
    expect(
      (await get(app, '/v1/me/achievements', bearer, { 'Accept-Language': 'uk', 'If-None-Match': etag }))
        .status,
    ).toBe(304);
    const english = await get(app, '/v1/me/achievements', bearer, {
      'Accept-Language': 'en',
      'If-None-Match': etag,
    });
    expect(english.status).toBe(200);
    expect(english.headers.get('etag')).not.toBe(etag);
  });
});

describe('GET /v1/me/achievements answered from what it kept', () => {
  /** The app over a client whose read and clock the test sets, as the client cache hands reads over. */
  function kept(at: {
    nowMs: number;
    read: { progress: ReturnType<typeof initialProgress>; segments: string[] };
  }) {
    const base = apiDependencies();
    const app = createApp({
      ...base,
      me: {
        ...base.me,
        nowMs: () => at.nowMs,
        reads: { achievementsOf: () => Promise.resolve(at.read), loyaltyOf: () => Promise.resolve(loyalty) },
      },
    });
    const coffees = async () => {
      const response = await get(app, '/v1/me/achievements', await token());
      const body = (await response.json()) as { achievements: { id: string; progress: object }[] };
      return body.achievements.find((a) => a.id === 'coffee-lover')!.progress;
    };
    return coffees;
  }

  it('makes the answer again once the client’s read is another (PostgreSQL announced a change)', async () => {
    const at = { nowMs: NOW, read: { progress, segments: [] as string[] } };
    const coffees = kept(at);
    expect(await coffees()).toEqual({ current: 3, target: 10 });
    const more = days('2026-11-01', 5).map((time) => purchase({ clientId: 'c-1', categoryId: 5814, time }));
    at.read = { progress: given(more).progress, segments: [] };
    expect(await coffees()).toEqual({ current: 5, target: 10 });
  });

  it('makes the answer again once its view changes with time: a month ends at midnight in the bank’s zone', async () => {
    const at = {
      nowMs: Date.parse('2026-11-30T23:50:00+02:00'),
      read: { progress, segments: [] as string[] },
    };
    const coffees = kept(at);
    expect(await coffees()).toEqual({ current: 3, target: 10 });
    at.nowMs = Date.parse('2026-11-30T23:59:00+02:00');
    expect(await coffees()).toEqual({ current: 3, target: 10 });
    at.nowMs = Date.parse('2026-12-01T00:01:00+02:00');
    expect(await coffees()).toEqual({ current: 0, target: 10 });
  });
});

describe('GET /v1/me/loyalty', () => {
  it('returns points, tier and rewards with their statuses', async () => {
    const { app } = setup();
    const response = await get(app, '/v1/me/loyalty', await token());
    expect(await response.json()).toEqual(loyalty);
  });
});

describe('GET /v1/catalog', () => {
  it('is open to anyone and localized', async () => {
    const { app } = setup();
    const response = await get(app, '/v1/catalog', undefined, { 'Accept-Language': 'uk' });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      achievements: { id: string; title: string; target: number; points: number; partnerId: string | null }[];
    };
    expect(body.achievements.find((a) => a.id === 'big-spender-gold')).toEqual({
      id: 'big-spender-gold',
      title: 'Щедрий покупець — золото',
      description: 'Витратьте 50 000 грн за один календарний місяць.',
      target: 5_000_000,
      points: 500,
      partnerId: null,
      availability: { state: 'open', from: null, until: null, closedAt: null },
    });
  });
});

/**
 * What c-1 (three coffees, first-purchase unlocked) sees of each achievement under `catalog`: its id, whether
 * unlocked, its progress and its availability's state.
 */
async function shownOf(
  catalog: ReturnType<typeof buildCatalog>,
  budgets: { closed?: ReadonlyMap<string, string>; refused?: RefusedUnlock[] } = {},
) {
  const base = apiDependencies();
  const app = createApp({
    ...base,
    me: {
      ...base.me,
      nowMs: () => NOW,
      catalogs: () => ({ live: catalog, everLive: catalog }),
      ...(budgets.closed ? { budgetsClosed: () => Promise.resolve(budgets.closed!) } : {}),
      reads: {
        ...base.me.reads,
        achievementsOf: () => Promise.resolve({ progress, segments: [], refused: budgets.refused ?? [] }),
      },
    },
  });
  const body = (await (await get(app, '/v1/me/achievements', await token({ sub: 'c-1' }))).json()) as {
    achievements: { id: string; unlocked: boolean; progress: unknown; availability: { state: string } }[];
  };
  return body.achievements.map(({ id, unlocked, progress, availability }) => [
    id,
    unlocked,
    progress,
    availability.state,
  ]);
}

describe('GET /v1/me/achievements for a campaign that ended', () => {
  it('shows no progress for one the client did not earn, and keeps one earned', async () => {
    const ended = buildCatalog([
      {
        source: 'november.yaml',
        document: {
          ...ruleDocument('coffee-lover'),
          schedule: { endsAt: '2026-11-15T00:00:00+02:00' },
        },
      },
      {
        source: 'first.yaml',
        document: { ...ruleDocument('first-purchase'), schedule: { endsAt: '2026-11-15T00:00:00+02:00' } },
      },
    ]);
    expect(await shownOf(ended)).toEqual([
      ['coffee-lover', false, null, 'ended'],
      ['first-purchase', true, { current: 1, target: 1 }, 'ended'],
    ]);
  });
});

describe('GET /v1/me/achievements for rules whose budget closed', () => {
  const CLOSED_AT = '2026-11-10T09:00:00.000Z';
  const budgeted = buildCatalog(
    ['first-purchase', 'coffee-lover'].map((id) => ({
      source: `${id}.yaml`,
      document: { ...ruleDocument(id), budget: { unlocks: 1_000, atLimit: 'close' } },
    })),
  );
  const closed = new Map([
    ['first-purchase', CLOSED_AT],
    ['coffee-lover', CLOSED_AT],
  ]);

  it('says closed, keeps what the client earned and shows no progress towards what they cannot earn now', async () => {
    expect(await shownOf(budgeted, { closed })).toEqual([
      ['first-purchase', true, { current: 1, target: 1 }, 'closed'],
      ['coffee-lover', false, null, 'closed'],
    ]);
  });

  it('does not show an unlock the budget refused as the client’s', async () => {
    const refused = [{ achievementId: 'first-purchase', occurrence: '', refusedAt: CLOSED_AT }];
    expect(await shownOf(budgeted, { closed, refused })).toEqual([
      ['first-purchase', false, null, 'closed'],
      ['coffee-lover', false, null, 'closed'],
    ]);
  });
});
