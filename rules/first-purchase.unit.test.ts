import { describe, expect, it } from 'vitest';
import { clientEvent, given, purchase, refund } from '../test/support/events.js';

const at = '2026-11-24T08:15:00+02:00';

describe('first-purchase', () => {
  it('given no purchase, when the first purchase arrives, then it unlocks', () => {
    expect(given([]).when(purchase({ time: at }))).toContain('first-purchase');
  });

  it('given a first purchase, when another arrives, then nothing unlocks again', () => {
    expect(given([purchase({ time: at })]).when(purchase({ time: at }))).not.toContain('first-purchase');
  });

  it('given nothing, when a transfer or a refund arrives, then nothing unlocks', () => {
    expect(given([]).when(purchase({ kind: 'transfer', time: at }))).toEqual([]);
    const earlier = purchase({ time: at });
    expect(given([]).when(refund(earlier, at))).toEqual([]);
  });

  it('given a client event only, when nothing else, then first-purchase is still locked', () => {
    expect(given([clientEvent('contacts.synced', at)]).unlocked.map((u) => u.achievementId)).toEqual([
      'contacts-synced',
    ]);
  });

  it('records the unlocking event and its time', () => {
    const first = purchase({ time: at });
    const [unlock] = given([first]).unlocked;
    expect(unlock).toMatchObject({
      achievementId: 'first-purchase',
      clientId: 'c-1',
      points: 50,
      sourceEventId: first.type === 'TransactionReceived' ? first.transaction.id : '',
      unlockedAt: '2026-11-24T06:15:00.000Z',
    });
  });
});
