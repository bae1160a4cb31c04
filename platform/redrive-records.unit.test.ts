import { describe, expect, it } from 'vitest';
import { deadLetter } from './dead-letters.js';
import { carriesOriginal, decodeRedrive } from './redrive-records.js';

const KINDS = new Map([['bank.transactions.v1', 'transaction' as const]]);
const WRITTEN_AT = Date.parse('2026-11-20T10:00:00Z');
const REDRIVEN_AT = Date.parse('2026-11-24T10:00:00Z');

const transaction = {
  id: 'tx-1',
  clientId: 'c-1',
  kind: 'purchase',
  amount: 5000,
  currency: 'UAH',
  time: '2026-11-23T09:00:00Z',
  categoryId: 5814,
  merchantId: 'm-1',
};

/** The DLQ record the engine would publish for `value` read at offset 7 of partition 2. */
function dlqRecord(value: Buffer, key: Buffer | null = Buffer.from('c-1'), topic = 'bank.transactions.v1') {
  const message = { key, value, headers: {}, offset: '7', timestamp: String(WRITTEN_AT), attributes: 0 };
  return Buffer.from(String(deadLetter({ topic, partition: 2, message }, 'impossible time').message.value));
}

describe('decodeRedrive', () => {
  it('decodes the original as its topic’s records, its time checked against the redrive', () => {
    const decoded = decodeRedrive(dlqRecord(Buffer.from(JSON.stringify(transaction))), KINDS, REDRIVEN_AT);
    expect(decoded).toMatchObject({
      ok: true,
      source: { topic: 'bank.transactions.v1', partition: 2, offset: '7' },
      decoded: { ok: true, event: { type: 'TransactionReceived', clientId: 'c-1' } },
    });
  });

  it('still refuses a time more than 24 h after the redrive', () => {
    const later = { ...transaction, time: '2026-11-26T10:00:00Z' };
    const decoded = decodeRedrive(dlqRecord(Buffer.from(JSON.stringify(later))), KINDS, REDRIVEN_AT);
    expect(decoded).toMatchObject({
      ok: true,
      decoded: { ok: false, error: expect.stringMatching(/^impossible time/) },
    });
  });

  it('reads back an original that was not UTF-8 (kept as base64) byte for byte', () => {
    const decoded = decodeRedrive(dlqRecord(Buffer.from([0xff, 0xfe])), KINDS, REDRIVEN_AT);
    expect(decoded).toMatchObject({
      ok: true,
      decoded: { ok: false, error: 'the value is not valid UTF-8' },
    });
  });

  it('refuses a record of a topic the processor does not read as input', () => {
    const decoded = decodeRedrive(
      dlqRecord(Buffer.from('{}'), null, 'achievements.unlocked.v1'),
      KINDS,
      REDRIVEN_AT,
    );
    expect(decoded).toEqual({
      ok: false,
      error: 'records of achievements.unlocked.v1 are not input records; nothing reads them again',
    });
  });

  it('refuses what is not a DLQ record', () => {
    expect(decodeRedrive(Buffer.from('{"topic": 1}'), KINDS, REDRIVEN_AT)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^a redrive record is a DLQ record/),
    });
    expect(decodeRedrive(Buffer.from('not json'), KINDS, REDRIVEN_AT)).toMatchObject({ ok: false });
    expect(decodeRedrive(null, KINDS, REDRIVEN_AT)).toMatchObject({ ok: false });
  });

  it('says an original too large to copy whole can never count', () => {
    const decoded = decodeRedrive(dlqRecord(Buffer.alloc(70 * 1024, 'x')), KINDS, REDRIVEN_AT);
    expect(decoded).toMatchObject({
      ok: true,
      decoded: { ok: false, error: 'the original is larger than any input record may be; it cannot count' },
    });
  });
});

describe('carriesOriginal', () => {
  const value = Buffer.from(JSON.stringify(transaction));
  const originalOf = (record: Buffer) => {
    const decoded = decodeRedrive(record, KINDS, REDRIVEN_AT);
    if (!decoded.ok) throw new Error(decoded.error);
    return decoded.original;
  };
  const stored = String(dlqRecord(value));

  it('knows the original the engine set aside, however the JSON around it is written', () => {
    const rewritten = JSON.stringify(JSON.parse(stored), null, 2);
    expect(carriesOriginal(originalOf(Buffer.from(rewritten)), stored)).toBe(true);
    // A key written as text before NUL was shown base64: the same bytes.
    const asText = JSON.stringify({ ...JSON.parse(stored), key: 'c-1' });
    const asBase64 = JSON.stringify({
      ...JSON.parse(stored),
      key: Buffer.from('c-1').toString('base64'),
      keyEncoding: 'base64',
    });
    expect(carriesOriginal(originalOf(Buffer.from(asBase64)), asText)).toBe(true);
  });

  it('tells an original altered on its way back', () => {
    const more = dlqRecord(Buffer.from(JSON.stringify({ ...transaction, amount: 500_000 })));
    expect(carriesOriginal(originalOf(more), stored)).toBe(false);
    expect(carriesOriginal(originalOf(dlqRecord(value, Buffer.from('c-2'))), stored)).toBe(false);
    expect(carriesOriginal(originalOf(dlqRecord(value)), 'not a DLQ record')).toBe(false);
  });
});
