import { describe, expect, it } from 'vitest';
import { decodeRecord } from './decode.js';

const purchase = {
  id: 'tx-1',
  clientId: 'c-1042',
  kind: 'purchase',
  amount: 4550,
  currency: 'UAH',
  time: '2026-11-24T08:15:00+02:00',
  categoryId: 5814,
  merchantId: 'm-77',
  geo: { lat: 50.45, lon: 30.52, country: 'UA' },
  originalId: null,
};

const bytes = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

describe('decodeRecord', () => {
  it('accepts a CONTRACT transaction keyed by its client', () => {
    const decoded = decodeRecord('transaction', bytes('c-1042'), bytes(purchase));
    expect(decoded).toEqual({
      ok: true,
      event: { type: 'TransactionReceived', clientId: 'c-1042', transaction: purchase },
    });
  });

  it('accepts a transaction without geo', () => {
    const { geo: _geo, ...withoutGeo } = purchase;
    expect(decodeRecord('transaction', bytes('c-1042'), bytes(withoutGeo)).ok).toBe(true);
  });

  it('accepts a client event with open-ended type and attributes', () => {
    const event = {
      id: 'ev-1',
      clientId: 'c-1042',
      type: 'profile.updated',
      time: '2026-11-24T08:20:00Z',
      attributes: { complete: true },
    };
    expect(decodeRecord('client-event', bytes('c-1042'), bytes(event))).toEqual({
      ok: true,
      event: { type: 'ClientEventReceived', clientId: 'c-1042', event },
    });
  });

  it.each([
    ['is not JSON', '{"id": ', /not valid JSON/],
    ['has a negative amount', { ...purchase, amount: -1 }, /amount/],
    ['has a fractional amount', { ...purchase, amount: 45.5 }, /amount/],
    ['has an unknown kind', { ...purchase, kind: 'chargeback' }, /kind/],
    ['has a time without offset', { ...purchase, time: '2026-11-24T08:15:00' }, /time/],
    ['has a lower-case country', { ...purchase, geo: { ...purchase.geo, country: 'ua' } }, /geo.country/],
    ['is a refund naming no purchase', { ...purchase, kind: 'refund' }, /originalId/],
    ['lacks a clientId', { ...purchase, clientId: undefined }, /clientId/],
  ])('refuses a transaction that %s, saying why', (_case, value, reason) => {
    const decoded = decodeRecord('transaction', bytes('c-1042'), bytes(value));
    expect(decoded.ok).toBe(false);
    expect(!decoded.ok && decoded.error).toMatch(reason);
  });

  it('refuses a record whose key is not its client id, since ordering per client depends on it', () => {
    const decoded = decodeRecord('transaction', bytes('c-9'), bytes(purchase));
    expect(decoded).toEqual({ ok: false, error: 'the record key "c-9" is not its clientId "c-1042"' });
  });

  it('refuses a record with no value', () => {
    expect(decodeRecord('transaction', bytes('c-1042'), null)).toEqual({
      ok: false,
      error: 'the record has no value',
    });
  });
});
