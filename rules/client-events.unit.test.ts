import { describe, expect, it } from 'vitest';
import { clientEvent, given } from '../test/support/events.js';

const at = '2026-11-24T08:20:00Z';

describe('profile-complete and contacts-synced: client actions', () => {
  it('given nothing, when the profile is updated as complete, then profile-complete unlocks', () => {
    expect(given([]).when(clientEvent('profile.updated', at, { complete: true }))).toEqual([
      'profile-complete',
    ]);
  });

  it('given nothing, when the profile is updated but incomplete, then nothing unlocks', () => {
    expect(given([]).when(clientEvent('profile.updated', at, { complete: false }))).toEqual([]);
    expect(given([]).when(clientEvent('profile.updated', at))).toEqual([]);
  });

  it('given a complete profile, when it is completed again, then nothing unlocks twice', () => {
    expect(
      given([clientEvent('profile.updated', at, { complete: true })]).when(
        clientEvent('profile.updated', at, { complete: true }),
      ),
    ).toEqual([]);
  });

  it('given nothing, when contacts are synced, then contacts-synced unlocks', () => {
    expect(given([]).when(clientEvent('contacts.synced', at))).toEqual(['contacts-synced']);
  });

  it('given nothing, when an event type no rule knows arrives, then nothing unlocks', () => {
    expect(given([]).when(clientEvent('card.frozen', at))).toEqual([]);
  });
});
