import { describe, expect, it } from 'vitest';
import { apiDependencies } from '../test/support/api.js';
import { requestsAs } from '../test/support/tokens.js';
import type { AuditEntry } from './admin-reads.js';
import { createApp } from './app.js';
import type { DeadLetterStore } from './dead-letter-store.js';

function setup() {
  const audited: AuditEntry[] = [];
  const redriven: number[][] = [];
  const store: DeadLetterStore = {
    overview: () => Promise.resolve({ byReason: [], perDay: [], letters: [] }),
    one: (id) =>
      Promise.resolve(
        id === 1
          ? {
              id: 1,
              topic: 'bank.transactions.v1',
              partition: 0,
              offset: '5',
              reason: 'json',
              error: 'not valid JSON',
              deadAt: '2026-11-20T10:00:00.000Z',
              redrivable: true,
              redrive: null,
              record: { value: '{' },
            }
          : undefined,
      ),
    redrive: (ids) => {
      redriven.push(ids);
      return Promise.resolve({ redriven: ids, refused: [] });
    },
  };
  const base = apiDependencies();
  const app = createApp({
    ...base,
    deadLetters: store,
    admin: { ...base.admin, audit: (entry) => Promise.resolve(void audited.push(entry)) },
  });
  return { app, audited, redriven };
}

describe('the dead letter routes', () => {
  it('let support browse, and read an original only with a reason, audited', async () => {
    const { app, audited } = setup();
    const support = requestsAs(app, { role: 'support', sub: 'emp-2' });
    expect((await support('GET', '/v1/admin/dead-letters?days=7')).status).toBe(200);
    const unexplained = await support('GET', '/v1/admin/dead-letters/1');
    expect(unexplained.status).toBe(400);
    expect(audited).toEqual([]);
    const read = await support('GET', '/v1/admin/dead-letters/1?reason=ticket%20481');
    expect(read.status).toBe(200);
    expect(audited).toEqual([
      {
        actorId: 'emp-2',
        actorRole: 'support',
        action: 'dead-letter.read',
        target: '1',
        reason: 'ticket 481',
      },
    ]);
    expect((await support('GET', '/v1/admin/dead-letters/2?reason=ticket%20481')).status).toBe(404);
  });

  it('let only admins redrive, each chosen record once per request, with a reason', async () => {
    const { app, redriven } = setup();
    const support = requestsAs(app, { role: 'support', sub: 'emp-2' });
    const admin = requestsAs(app, { role: 'admin', sub: 'emp-1' });
    expect(
      (await support('POST', '/v1/admin/dead-letters/redrive', { ids: [1], reason: 'fixed' })).status,
    ).toBe(403);
    expect((await admin('POST', '/v1/admin/dead-letters/redrive', { ids: [1] })).status).toBe(400);
    expect((await admin('POST', '/v1/admin/dead-letters/redrive', { ids: [], reason: 'fixed' })).status).toBe(
      400,
    );
    const sent = await admin('POST', '/v1/admin/dead-letters/redrive', { ids: [3, 1, 3], reason: 'fixed' });
    expect(sent.status).toBe(202);
    expect(redriven).toEqual([[3, 1]]);
  });
});
