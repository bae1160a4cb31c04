import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deadLetter, MAX_INLINE_BYTES, reasonOf } from './dead-letters.js';

const message = (value: Buffer | null, key: Buffer | null = Buffer.from('c-1042')) => ({
  key,
  value,
  headers: { traceparent: Buffer.from('00-abc-01') },
  offset: '42',
  timestamp: '0',
  attributes: 0,
});

const source = (value: Buffer | null, key?: Buffer | null) => ({
  topic: 'bank.transactions.v1',
  partition: 3,
  message: message(value, key),
});

const parsed = (letter: ReturnType<typeof deadLetter>) =>
  JSON.parse(String(letter.message.value)) as Record<string, unknown>;

describe('deadLetter', () => {
  it('keeps the original key, value and headers and adds the reason and the source position', () => {
    const letter = deadLetter(source(Buffer.from('{"id": ')), 'not valid JSON');
    expect(letter.message.key).toEqual(Buffer.from('c-1042'));
    expect(letter.message.headers).toEqual({ traceparent: Buffer.from('00-abc-01') });
    expect(letter.kept).toBeUndefined();
    expect(parsed(letter)).toEqual({
      error: 'not valid JSON',
      topic: 'bank.transactions.v1',
      partition: 3,
      offset: '42',
      key: 'c-1042',
      value: '{"id": ',
      headers: { traceparent: '00-abc-01' },
    });
  });

  it.each([
    ['600 KB of quotes', Buffer.from('"'.repeat(600_000))],
    ['a 900 KB object', Buffer.from(`{"id":"${'x'.repeat(900_000)}`)],
    ['200 KB of NUL characters', Buffer.alloc(200_000)],
  ])('keeps %s aside and names it by size and SHA-256, in a record far below 1 MiB', (_case, value) => {
    const letter = deadLetter(source(value), 'not valid JSON');
    expect(Buffer.byteLength(String(letter.message.value))).toBeLessThan(MAX_INLINE_BYTES);
    const sha256 = createHash('sha256').update(value).digest('hex');
    expect(parsed(letter)).toMatchObject({
      error: 'not valid JSON',
      offset: '42',
      truncated: true,
      valueBytes: value.length,
      valueSha256: sha256,
    });
    const { value: kept, ...where } = letter.kept!;
    expect(where).toMatchObject({
      topic: 'bank.transactions.v1',
      partition: 3,
      offset: '42',
      valueSha256: sha256,
    });
    // Compared as a boolean: vitest's deep equality walks a large Buffer byte by byte.
    expect(kept!.equals(value)).toBe(true);
  });

  it('shows bytes that are not UTF-8 as base64, so the original can be rebuilt exactly', () => {
    const value = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]);
    expect(parsed(deadLetter(source(value), 'the value is not valid UTF-8'))).toMatchObject({
      value: value.toString('base64'),
      valueEncoding: 'base64',
    });
  });

  it('shows a key, and headers, holding NUL or bytes that are not UTF-8 as base64, byte for byte', () => {
    const key = Buffer.from('c-1\u0000');
    const headers = {
      'trace\u0000': Buffer.from('x'),
      binary: Buffer.from([0xff, 0x00]),
      plain: Buffer.from('a'),
    };
    const original = { ...message(Buffer.from('{}'), key), headers };
    const record = parsed(
      deadLetter({ topic: 'bank.transactions.v1', partition: 3, message: original }, 'e'),
    );
    expect(record).toMatchObject({
      key: key.toString('base64'),
      keyEncoding: 'base64',
      headersEncoding: 'base64',
    });
    const decoded = Object.entries(record.headers as Record<string, string>).map(([name, value]) => [
      Buffer.from(name, 'base64').toString('latin1'),
      Buffer.from(value, 'base64').toString('latin1'),
    ]);
    expect(Object.fromEntries(decoded)).toEqual({ 'trace\u0000': 'x', binary: '\xff\u0000', plain: 'a' });
    // Nothing of it is a JSON escape of NUL, which PostgreSQL's json operators refuse to turn into text.
    expect(String(deadLetter(source(Buffer.from('{"a":"\u0000"}'), key), 'e').message.value)).not.toContain(
      '\\u0000',
    );
  });

  it('leaves a huge key out of the Kafka record key and shows control characters of the reason escaped', () => {
    const letter = deadLetter(source(Buffer.from('{}'), Buffer.alloc(100_000, 'k')), 'bad \u0000 id');
    expect(letter.message.key).toBeNull();
    expect(parsed(letter).error).toBe('bad \\u0000 id');
    expect(letter.kept!.key!.equals(Buffer.alloc(100_000, 'k'))).toBe(true);
  });
});

describe('reasonOf', () => {
  it.each([
    ['the record has no value', 'empty'],
    ['the value is 70000 bytes; an input record may hold at most 65536', 'too-large'],
    ['the value is not valid UTF-8', 'encoding'],
    ['not valid JSON: Unexpected end of JSON input', 'json'],
    ['schema: amount: expected integer', 'schema'],
    ['the record has no key; it must be its clientId "c-1"', 'key'],
    ['the record key "c-2" is not its clientId "c-1"', 'key'],
    ['impossible time 1999-12-31T00:00:00Z: before 2000-01-01T00:00:00Z', 'impossible-time'],
    ['the engine could not store this record: value too long', 'storage'],
    ['the broker refused this record for good (70000 bytes): too large (MESSAGE_TOO_LARGE)', 'refused'],
    ['an unlock record names no rule', 'other'],
  ])('classes "%s" as %s', (error, reason) => {
    expect(reasonOf(error)).toBe(reason);
  });

  it('is the class a dead letter is indexed by', () => {
    const letter = deadLetter(source(Buffer.from('{')), 'not valid JSON: Unexpected end');
    expect(letter.index).toEqual({
      topic: 'bank.transactions.v1',
      partition: 3,
      offset: '42',
      key: Buffer.from('c-1042'),
      reason: 'json',
      error: 'not valid JSON: Unexpected end',
      truncated: false,
    });
  });
});
