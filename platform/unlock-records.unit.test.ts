import { describe, expect, it } from 'vitest';
import { firstPurchaseUnlock } from '../test/support/events.js';
import { unlockIdOf, unlockedMessage } from './unlock-records.js';

describe('unlockIdOf', () => {
  it('is a name-based UUID (version 5, RFC 4122 variant) of the client and the achievement', () => {
    const id = unlockIdOf('c-1042', 'coffee-lover');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(unlockIdOf('c-1042', 'coffee-lover')).toBe(id);
  });

  it('differs for another client or achievement, and cannot be made equal by moving a character across', () => {
    const ids = new Set([
      unlockIdOf('c-1042', 'coffee-lover'),
      unlockIdOf('c-1043', 'coffee-lover'),
      unlockIdOf('c-1042', 'first-purchase'),
      unlockIdOf('c-1042c', 'offee-lover'),
    ]);
    expect(ids.size).toBe(4);
  });
});

describe('unlockedMessage', () => {
  it('carries the contract fields with the unlock id and the rule version it was earned under', () => {
    const message = unlockedMessage({ ...firstPurchaseUnlock('c-1'), ruleVersion: 3 });
    expect(message).toEqual({
      unlockId: unlockIdOf('c-1', 'first-purchase'),
      clientId: 'c-1',
      achievementId: 'first-purchase',
      unlockedAt: '2026-11-24T06:15:00.000Z',
      sourceEventId: 'tx-1',
      points: 50,
      ruleId: 'first-purchase',
      ruleVersion: 3,
      occurrence: null,
    });
  });

  it('names the occurrence of a repeating achievement, whose id is the occurrence’s own', () => {
    const message = unlockedMessage({ ...firstPurchaseUnlock('c-1'), occurrence: '2026-11' });
    expect(message).toMatchObject({
      unlockId: unlockIdOf('c-1', 'first-purchase', '2026-11'),
      occurrence: '2026-11',
    });
    expect(message.unlockId).not.toBe(unlockIdOf('c-1', 'first-purchase'));
  });
});
