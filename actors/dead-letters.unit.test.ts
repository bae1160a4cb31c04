import { describe, expect, it } from 'vitest';
import { deadLetter } from './dead-letters.js';

describe('deadLetter', () => {
  it('keeps the original key, value and headers and adds the reason and the source position', () => {
    const message = {
      key: Buffer.from('c-1042'),
      value: Buffer.from('{"id": '),
      headers: { traceparent: Buffer.from('00-abc-01') },
      offset: '42',
      timestamp: '0',
      attributes: 0,
    };
    const letter = deadLetter({ topic: 'bank.transactions.v1', partition: 3, message }, 'not valid JSON');
    expect(letter.key).toEqual(Buffer.from('c-1042'));
    expect(letter.headers).toEqual(message.headers);
    expect(JSON.parse(String(letter.value))).toEqual({
      error: 'not valid JSON',
      topic: 'bank.transactions.v1',
      partition: 3,
      offset: '42',
      key: 'c-1042',
      value: '{"id": ',
      headers: { traceparent: '00-abc-01' },
    });
  });
});
