import { describe, expect, it } from 'vitest';
import { NO_CONTEXT, type ClientContext } from '../rules/audience.js';
import { apiDependencies } from '../test/support/api.js';
import { given, purchase } from '../test/support/events.js';
import { badTokens, token } from '../test/support/tokens.js';
import type { AuditEntry } from './admin-reads.js';
import { createApp } from './app.js';

const history = [
  purchase({ clientId: 'c-9', time: '2026-11-02T12:00:00+02:00', categoryId: 5814 }),
  purchase({ clientId: 'c-9', time: '2026-11-02T13:00:00+02:00', categoryId: 5411 }),
];

/** The app over `history`, for a client of the given context (never erased, by default). */
function setup(context: ClientContext = NO_CONTEXT) {
  const audited: AuditEntry[] = [];
  const app = createApp(
    apiDependencies({
      admin: {
        statsOf: (achievementId) =>
          Promise.resolve({ achievementId, unlocked: 3, unlocksPerDay: [], progress: [] }),
        overview: () => Promise.resolve([]),
        audit: (entry) => Promise.resolve(void audited.push(entry)),
        auditLog: () => Promise.resolve([]),
      },
      explain: {
        progressOf: () => Promise.resolve(given(history).progress),
        historyOf: () => Promise.resolve(history),
        contextOf: () => Promise.resolve(context),
        zone: 'Europe/Kyiv',
        nowMs: () => Date.parse('2026-11-20T12:00:00+02:00'),
      },
    }),
  );
  return { app, audited };
}

const STATS = '/v1/admin/achievements/coffee-lover/stats?reason=monthly%20report';
const AUDIT = '/v1/admin/audit?limit=5';
const EXPLAIN = '/v1/admin/clients/c-9/achievements/coffee-lover/explain?reason=client%20dispute';
const call = async (app: ReturnType<typeof setup>['app'], path: string, bearer?: string) =>
  app.request(path, bearer ? { headers: { Authorization: `Bearer ${bearer}` } } : {});

describe('operations routes and their auth matrix', () => {
  it.each([
    [STATS, 'client', 403],
    [STATS, 'support', 200],
    [STATS, 'admin', 200],
    [EXPLAIN, 'client', 403],
    [EXPLAIN, 'support', 200],
    [EXPLAIN, 'admin', 200],
    [AUDIT, 'client', 403],
    [AUDIT, 'support', 403],
    [AUDIT, 'admin', 200],
  ])('%s as %s answers %i, and only answered reads are audited', async (path, role, status) => {
    const { app, audited } = setup();
    const response = await call(app, path, await token({ sub: `${role}-7`, role }));
    expect(response.status).toBe(status);
    expect(audited).toHaveLength(status === 200 ? 1 : 0);
  });

  it.each([STATS, AUDIT, EXPLAIN])(
    '%s refuses missing and bad tokens with 401 and audits nothing',
    async (path) => {
      const { app, audited } = setup();
      expect((await call(app, path)).status).toBe(401);
      for (const [kind, bad] of await badTokens())
        expect((await call(app, path, bad)).status, kind).toBe(401);
      expect(audited).toEqual([]);
    },
  );

  it('writes who, role, what and why for a stats read', async () => {
    const { app, audited } = setup();
    const response = await call(app, STATS, await token({ sub: 'e-42', role: 'support' }));
    expect(await response.json()).toEqual({
      achievementId: 'coffee-lover',
      unlocked: 3,
      unlocksPerDay: [],
      progress: [],
    });
    expect(audited).toEqual([
      {
        actorId: 'e-42',
        actorRole: 'support',
        action: 'achievement.stats',
        target: 'coffee-lover',
        reason: 'monthly report',
      },
    ]);
  });

  it('explains the state, the window and each event, and audits the reason', async () => {
    const { app, audited } = setup();
    const response = await call(app, EXPLAIN, await token({ sub: 'e-5', role: 'support' }));
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      clientId: 'c-9',
      achievementId: 'coffee-lover',
      state: { unlocked: false, unlockedAt: null, timesEarned: 0, progress: { current: 1, target: 10 } },
      rule: {
        measure: { type: 'count' },
        window: { type: 'calendar', unit: 'month' },
        timeZone: 'Europe/Kyiv',
      },
    });
    expect(body.events).toEqual([
      { id: expect.any(String), time: '2026-11-02T12:00:00+02:00', counted: true, why: 'counted' },
      {
        id: expect.any(String),
        time: '2026-11-02T13:00:00+02:00',
        counted: false,
        why: 'its merchant category is not one the rule counts',
      },
    ]);
    expect(body.eventsBeforeErasure).toBe(0);
    expect(audited).toEqual([
      {
        actorId: 'e-5',
        actorRole: 'support',
        action: 'achievement.explain',
        target: 'c-9/coffee-lover',
        reason: 'client dispute',
      },
    ]);
  });

  it('shows none of the records dated before the client’s erasure, only how many were left out', async () => {
    // Erased between the two purchases of `history`.
    const { app } = setup({ ...NO_CONTEXT, erasedAtMs: Date.parse('2026-11-02T12:30:00+02:00') });
    const response = await call(app, EXPLAIN, await token({ sub: 'e-5', role: 'support' }));
    const body = (await response.json()) as { events: { time: string }[]; eventsBeforeErasure: number };
    expect(body.events.map((e) => e.time)).toEqual(['2026-11-02T13:00:00+02:00']);
    expect(body.eventsBeforeErasure).toBe(1);
    const erased = history[0]!.type === 'TransactionReceived' ? history[0]!.transaction : undefined;
    expect(JSON.stringify(body)).not.toContain(erased!.id);
    expect(JSON.stringify(body)).not.toContain(erased!.time);
  });

  it('refuses an explain without a reason with 400 problem+json saying so', async () => {
    const { app, audited } = setup();
    const response = await call(
      app,
      '/v1/admin/clients/c-9/achievements/coffee-lover/explain',
      await token({ role: 'admin' }),
    );
    expect(response.status).toBe(400);
    expect(((await response.json()) as { detail: string }).detail).toMatch(/^reason: /);
    expect(audited).toEqual([]);
  });

  it('answers 404 problem+json for an achievement not in the catalog', async () => {
    const { app } = setup();
    const response = await call(
      app,
      '/v1/admin/achievements/tea-lover/stats',
      await token({ role: 'admin' }),
    );
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
  });

  it('answers 400 problem+json for an audit limit out of range', async () => {
    const { app } = setup();
    const response = await call(app, '/v1/admin/audit?limit=100000', await token({ role: 'admin' }));
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(((await response.json()) as { detail: string }).detail).toMatch(/^limit: /);
  });

  it.each([
    [
      'a reason holding NUL',
      '/v1/admin/achievements/coffee-lover/stats?reason=a%00b',
      /^reason: holds U\+0000/,
    ],
    ['an explain reason holding NUL', `${EXPLAIN}%00`, /^reason: holds U\+0000/],
    [
      'a client id holding NUL',
      '/v1/admin/clients/c%009/achievements/coffee-lover/explain?reason=dispute',
      /^clientId: /,
    ],
    [
      'a client id of 129 characters',
      `/v1/admin/clients/${'c'.repeat(129)}/achievements/coffee-lover/explain?reason=dispute`,
      /^clientId: /,
    ],
  ])('refuses %s with 400 naming the field, and audits nothing', async (_case, path, detail) => {
    const { app, audited } = setup();
    const response = await call(app, path, await token({ role: 'admin' }));
    expect(response.status).toBe(400);
    expect(((await response.json()) as { detail: string }).detail).toMatch(detail);
    expect(audited).toEqual([]);
  });
});

describe('operations limits', () => {
  const limited = () =>
    createApp(
      apiDependencies({
        admin: {
          statsOf: (achievementId) =>
            Promise.resolve({ achievementId, unlocked: 0, unlocksPerDay: [], progress: [] }),
          overview: () => Promise.resolve([]),
          audit: () => Promise.resolve(),
          auditLog: () => Promise.resolve([]),
        },
        explain: {
          progressOf: () => Promise.resolve(given(history).progress),
          historyOf: () => Promise.resolve(history),
          contextOf: () => Promise.resolve(NO_CONTEXT),
          zone: 'Europe/Kyiv',
        },
        limits: { operations: { limit: 3, windowMs: 60_000 }, explain: { limit: 1, windowMs: 60_000 } },
      }),
    );

  it('limits each employee on every operations route, with 429 and Retry-After', async () => {
    const app = limited();
    const as = async (sub: string) => (await call(app, STATS, await token({ sub, role: 'support' }))).status;
    expect([await as('e-1'), await as('e-1'), await as('e-1'), await as('e-1')]).toEqual([
      200, 200, 200, 429,
    ]);
    expect(await as('e-2')).toBe(200);
    const response = await call(app, STATS, await token({ sub: 'e-1', role: 'support' }));
    expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('limits explain, which reads Kafka, more tightly than the other reads', async () => {
    const app = limited();
    const jwt = await token({ sub: 'e-3', role: 'support' });
    expect([(await call(app, EXPLAIN, jwt)).status, (await call(app, EXPLAIN, jwt)).status]).toEqual([
      200, 429,
    ]);
    expect((await call(app, STATS, jwt)).status).toBe(200);
  });
});
