import { describe, expect, it } from 'vitest';
import { apiDependencies } from '../test/support/api.js';
import { badTokens, token } from '../test/support/tokens.js';
import type { AuditEntry } from './admin-reads.js';
import { createApp } from './app.js';

function setup() {
  const audited: AuditEntry[] = [];
  const app = createApp(
    apiDependencies({
      admin: {
        statsOf: (achievementId) => Promise.resolve({ achievementId, unlocked: 3, progress: [] }),
        audit: (entry) => Promise.resolve(void audited.push(entry)),
        auditLog: () => Promise.resolve([]),
      },
    }),
  );
  return { app, audited };
}

const STATS = '/v1/admin/achievements/coffee-lover/stats?reason=monthly%20report';
const AUDIT = '/v1/admin/audit?limit=5';
const call = async (app: ReturnType<typeof setup>['app'], path: string, bearer?: string) =>
  app.request(path, bearer ? { headers: { Authorization: `Bearer ${bearer}` } } : {});

describe('operations routes and their auth matrix', () => {
  it.each([
    [STATS, 'client', 403],
    [STATS, 'support', 200],
    [STATS, 'admin', 200],
    [AUDIT, 'client', 403],
    [AUDIT, 'support', 403],
    [AUDIT, 'admin', 200],
  ])('%s as %s answers %i, and only answered reads are audited', async (path, role, status) => {
    const { app, audited } = setup();
    const response = await call(app, path, await token({ sub: `${role}-7`, role }));
    expect(response.status).toBe(status);
    expect(audited).toHaveLength(status === 200 ? 1 : 0);
  });

  it.each([STATS, AUDIT])('%s refuses missing and bad tokens with 401 and audits nothing', async (path) => {
    const { app, audited } = setup();
    expect((await call(app, path)).status).toBe(401);
    for (const [kind, bad] of await badTokens()) expect((await call(app, path, bad)).status, kind).toBe(401);
    expect(audited).toEqual([]);
  });

  it('writes who, role, what and why for a stats read', async () => {
    const { app, audited } = setup();
    const response = await call(app, STATS, await token({ sub: 'e-42', role: 'support' }));
    expect(await response.json()).toEqual({ achievementId: 'coffee-lover', unlocked: 3, progress: [] });
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
});
