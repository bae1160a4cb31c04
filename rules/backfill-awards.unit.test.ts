import { describe, expect, it } from 'vitest';
import { awardsFor, DEFAULT_BACKFILL_POLICY, type FoundUnlock } from './backfill-awards.js';

const found = (
  clientId: string,
  achievementId: string,
  rank: number,
  points: number,
  partnerId: string | null = null,
): FoundUnlock => ({
  unlockId: `${clientId}/${achievementId}`,
  clientId,
  achievementId,
  points,
  partnerId,
  rank,
});

const bronze = (clientId: string) => found(clientId, 'big-spender-bronze', 0, 100);
const silver = (clientId: string) => found(clientId, 'big-spender-silver', 1, 250);
const gold = (clientId: string) => found(clientId, 'big-spender-gold', 2, 500);
const summary = (awards: ReturnType<typeof awardsFor>['awards']) =>
  awards.map(
    (a) => `${a.unlockId} ${a.points} ${a.why}${a.reward ? ' reward' : ''}${a.notify ? ' notify' : ''}`,
  );

describe('how a backfill awards what it found', () => {
  it('by default awards every level reached, with its points, a reward and a push', () => {
    const { awards, spent } = awardsFor(
      [bronze('c-1'), silver('c-1')],
      new Map([['c-1', 1]]),
      DEFAULT_BACKFILL_POLICY,
      0,
    );
    expect(summary(awards)).toEqual([
      'c-1/big-spender-bronze 100 awarded reward notify',
      'c-1/big-spender-silver 250 awarded reward notify',
    ]);
    expect(spent).toBe(350);
  });

  it('with levels "highest", awards only each client’s highest level; lower ones stay unlocked with nothing', () => {
    const policy = { ...DEFAULT_BACKFILL_POLICY, levels: 'highest' as const };
    const highest = new Map([
      ['c-1', 2],
      ['c-2', 0],
    ]);
    const { awards } = awardsFor(
      [bronze('c-1'), silver('c-1'), gold('c-1'), bronze('c-2')],
      highest,
      policy,
      0,
    );
    expect(summary(awards)).toEqual([
      'c-1/big-spender-bronze 0 outranked',
      'c-1/big-spender-silver 0 outranked',
      'c-1/big-spender-gold 500 awarded reward notify',
      'c-2/big-spender-bronze 100 awarded reward notify',
    ]);
  });

  it('with a cap, grants points in order while they fit; a partner’s reward is still asked for past it', () => {
    const policy = { ...DEFAULT_BACKFILL_POLICY, maxPoints: 400, notify: false };
    const coffee = found('c-4', 'coffee-lover', 0, 100, 'coffee-house');
    const { awards, spent } = awardsFor(
      [silver('c-1'), bronze('c-2'), silver('c-3'), coffee],
      new Map(),
      policy,
      0,
    );
    expect(summary(awards)).toEqual([
      'c-1/big-spender-silver 250 awarded reward',
      'c-2/big-spender-bronze 100 awarded reward',
      'c-3/big-spender-silver 0 over-cap',
      'c-4/coffee-lover 0 over-cap reward',
    ]);
    expect(spent).toBe(350);
  });

  it('awards page by page exactly as all at once, given what the earlier pages spent', () => {
    const policy = { ...DEFAULT_BACKFILL_POLICY, maxPoints: 600 };
    const unlocks = [silver('c-1'), gold('c-2'), bronze('c-3'), bronze('c-4'), silver('c-5')];
    const whole = awardsFor(unlocks, new Map(), policy, 0);
    const first = awardsFor(unlocks.slice(0, 2), new Map(), policy, 0);
    const second = awardsFor(unlocks.slice(2), new Map(), policy, first.spent);
    expect([...first.awards, ...second.awards]).toEqual(whole.awards);
    expect(second.spent).toBe(whole.spent);
  });
});
