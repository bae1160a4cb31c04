import { describe, expect, it } from 'vitest';
import { chunksBySize } from './dead-letter-sink.js';

describe('chunksBySize', () => {
  it('splits messages into produce requests under the limit, in order', () => {
    const messages = [300, 300, 300, 100, 600].map((size, i) => ({
      key: null,
      value: String(i).repeat(size),
    }));
    const chunks = chunksBySize(messages, (m) => m.value.length, 700);
    expect(chunks.map((chunk) => chunk.map((m) => m.value.length))).toEqual([[300, 300], [300, 100], [600]]);
    expect(chunks.flat()).toEqual(messages);
  });
});
