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

  it.each([
    [
      'a NUL in its clientId',
      { ...purchase, clientId: 'c-1\u0000' },
      /clientId: holds U\+0000 at position 3/,
    ],
    ['a NUL in its id', { ...purchase, id: 'tx\u00001' }, /^schema: id: holds U\+0000/],
    ['a right-to-left override in its merchantId', { ...purchase, merchantId: 'm-\u202e77' }, /merchantId/],
    ['an unpaired surrogate in its id', { ...purchase, id: 'tx-\ud800' }, /id: holds U\+D800/],
    ['an id of 129 characters', { ...purchase, id: 't'.repeat(129) }, /id: Too big/],
    ['an amount beyond a billion', { ...purchase, amount: 1e308 }, /amount/],
    ['a NUL in its originalId', { ...purchase, kind: 'refund', originalId: '\u0000' }, /originalId/],
  ])('refuses a transaction with %s, before anything stores it', (_case, value, reason) => {
    const key = bytes((value as { clientId: string }).clientId);
    const decoded = decodeRecord('transaction', key, bytes(value));
    expect(!decoded.ok && decoded.error).toMatch(reason);
  });

  it.each([
    ['a NUL in an attribute value', { complete: 'yes\u0000' }, /attributes.complete: holds U\+0000/],
    ['a control character in an attribute name', { 'a\u0007': true }, /attributes/],
    [
      '101 attributes',
      Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`a${i}`, i])),
      /at most 100/,
    ],
  ])('refuses a client event with %s', (_case, attributes, reason) => {
    const event = {
      id: 'ev-1',
      clientId: 'c-1042',
      type: 'profile.updated',
      time: '2026-11-24T08:20:00Z',
      attributes,
    };
    const decoded = decodeRecord('client-event', bytes('c-1042'), bytes(event));
    expect(!decoded.ok && decoded.error).toMatch(reason);
  });

  it('keeps nested attribute values as sent, however deep, without walking them', () => {
    const event = { id: 'ev-1', clientId: 'c-1042', type: 'contacts.synced', time: '2026-11-24T08:20:00Z' };
    const value = Buffer.from(
      `${JSON.stringify(event).slice(0, -1)},"attributes":{"deep":${'['.repeat(30_000)}${']'.repeat(30_000)}}}`,
    );
    const decoded = decodeRecord('client-event', bytes('c-1042'), value);
    expect(decoded.ok).toBe(true);
  });

  it('refuses a value that is not UTF-8 rather than guessing its characters', () => {
    const value = Buffer.concat([
      bytes(purchase).subarray(0, 10),
      Buffer.from([0xff]),
      bytes(purchase).subarray(10),
    ]);
    expect(decodeRecord('transaction', bytes('c-1042'), value)).toEqual({
      ok: false,
      error: 'the value is not valid UTF-8',
    });
  });

  it('refuses a value over 64 KiB before parsing it', () => {
    const decoded = decodeRecord('transaction', bytes('c-1042'), Buffer.alloc(65_537, ' '));
    expect(!decoded.ok && decoded.error).toMatch(/65537 bytes; an input record may hold at most 65536/);
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

  it.each([
    ['before 2000', '1999-12-31T23:59:59Z', /impossible time 1999-12-31T23:59:59Z: before 2000-01-01/],
    ['in the year 0050', '0050-06-01T00:00:00Z', /impossible time 0050-06-01T00:00:00Z: before 2000/],
    [
      '25 hours after its record was written',
      '2026-11-25T09:15:00+02:00',
      /more than 24 h after the record was written \(2026-11-24T06:15:00.000Z\)/,
    ],
  ])('refuses a transaction dated %s', (_case, time, reason) => {
    const written = Date.parse('2026-11-24T08:15:00+02:00');
    const decoded = decodeRecord('transaction', bytes('c-1042'), bytes({ ...purchase, time }), written);
    expect(!decoded.ok && decoded.error).toMatch(reason);
  });

  it('accepts a time up to 24 hours after its record was written, and any time without a record', () => {
    const written = Date.parse('2026-11-24T08:15:00+02:00');
    const dayAhead = { ...purchase, time: '2026-11-25T08:15:00+02:00' };
    expect(decodeRecord('transaction', bytes('c-1042'), bytes(dayAhead), written).ok).toBe(true);
    expect(
      decodeRecord('transaction', bytes('c-1042'), bytes({ ...purchase, time: '2099-01-01T00:00:00Z' })).ok,
    ).toBe(true);
  });
});
