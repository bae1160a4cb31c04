import { describe, expect, it } from 'vitest';
import { catalog, KYIV, purchase, refund } from '../test/support/events.js';
import { NO_CONTEXT } from './audience.js';
import { decide } from './decide.js';
import { explain } from './explain.js';
import { initialProgress } from './progress.js';

describe('decide for an erased client (CONTRACT §7)', () => {
  const erased = { ...NO_CONTEXT, erasedAtMs: Date.parse('2026-11-10T00:00:00+02:00') };
  const before = purchase({ id: 'p-1', categoryId: 5814, time: '2026-11-09T12:00:00+02:00' });
  const after = purchase({ id: 'p-2', categoryId: 5814, time: '2026-11-10T12:00:00+02:00' });

  it('counts nothing dated before the erasure: no progress, no unlock, no horizon, no refund remembered', () => {
    const start = initialProgress();
    for (const event of [before, refund(before, '2026-11-09T13:00:00+02:00')]) {
      const decision = decide(start, event, catalog, KYIV, { client: erased, trace: true });
      expect(decision.progress).toBe(start);
      expect(decision.unlocked).toEqual([]);
      expect(new Set(decision.outcomes!.map((o) => o.outcome))).toEqual(new Set(['erased']));
    }
  });

  it('counts what is dated after it, as for a client starting afresh', () => {
    const decision = decide(initialProgress(), after, catalog, KYIV, { client: erased });
    expect(decision.unlocked.map((u) => u.achievementId)).toEqual(['first-purchase']);
    expect(decision.progress.transactionsHorizonMs).toBe(Date.parse('2026-11-10T12:00:00+02:00'));
  });

  it('explains only the records dated after it, and says how many from before it left out', () => {
    expect(explain('first-purchase', catalog, [before, after], KYIV, erased)).toMatchObject({
      events: [{ id: 'p-2', why: 'counted, and unlocked the achievement' }],
      eventsBeforeErasure: 1,
    });
  });
});
