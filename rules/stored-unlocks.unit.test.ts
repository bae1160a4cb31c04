import { describe, expect, it } from 'vitest';
import { initialProgress, type ClientProgress } from './progress.js';
import { withStoredUnlocks, type StoredUnlock } from './stored-unlocks.js';

const unlock = (achievementId: string, occurrence: string, at: string): StoredUnlock => ({
  achievementId,
  occurrence,
  at,
  sourceEventId: `tx-${achievementId}-${occurrence || 'once'}`,
});

describe('withStoredUnlocks', () => {
  it('adds the unlocks the checkpoint does not hold yet, and keeps those it holds as they are', () => {
    const checkpointed: ClientProgress = {
      ...initialProgress(),
      unlocked: { 'first-purchase': { at: '2026-11-01T09:00:00.000Z', sourceEventId: 'tx-1' } },
    };
    const shown = withStoredUnlocks(checkpointed, [
      unlock('first-purchase', '', '2026-11-01T09:00:00.000Z'),
      unlock('coffee-lover', '', '2026-11-02T10:00:00.000Z'),
    ]);
    expect(shown.unlocked).toEqual({
      'first-purchase': { at: '2026-11-01T09:00:00.000Z', sourceEventId: 'tx-1' },
      'coffee-lover': { at: '2026-11-02T10:00:00.000Z', sourceEventId: 'tx-coffee-lover-once' },
    });
    expect(checkpointed.unlocked).not.toHaveProperty('coffee-lover');
  });

  it('counts a repeating achievement’s earnings past what the checkpoint holds, the latest as its last', () => {
    const checkpointed: ClientProgress = {
      ...initialProgress(),
      repeats: {
        'coffee-monthly': {
          times: 1,
          open: [682],
          last: { at: '2026-11-10T09:00:00.000Z', sourceEventId: 'tx-a', occurrence: '2026-11' },
        },
      },
    };
    const earnings = [
      unlock('coffee-monthly', '2026-12', '2026-12-05T09:00:00.000Z'),
      unlock('coffee-monthly', '2026-11', '2026-11-10T09:00:00.000Z'),
    ];
    expect(withStoredUnlocks(checkpointed, earnings).repeats).toEqual({
      'coffee-monthly': {
        times: 2,
        open: [682],
        last: {
          at: '2026-12-05T09:00:00.000Z',
          sourceEventId: 'tx-coffee-monthly-2026-12',
          occurrence: '2026-12',
        },
      },
    });
    // The checkpoint caught up: it holds both, and is shown as it is.
    const caughtUp = {
      ...checkpointed,
      repeats: { 'coffee-monthly': { ...checkpointed.repeats!['coffee-monthly']!, times: 2 } },
    };
    expect(withStoredUnlocks(caughtUp, earnings)).toBe(caughtUp);
  });
});
