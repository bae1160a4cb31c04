import { describe, expect, it } from 'vitest';
import { BatchedReadMissing, batchedReads } from './batched-reads.js';

/** A store read many keys at a time, whose reads wait until the test answers them, in the order they were sent. */
function heldStore() {
  const batches: string[][] = [];
  const pending: { answer: () => void; fail: (error: Error) => void }[] = [];
  const readMany = (keys: readonly string[]) => {
    batches.push([...keys]);
    return new Promise<ReadonlyMap<string, string>>((resolve, reject) => {
      pending.push({
        answer: () =>
          resolve(new Map(keys.filter((key) => key !== 'lost').map((key) => [key, `value of ${key}`]))),
        fail: reject,
      });
    });
  };
  const next = () => {
    const read = pending.shift();
    if (!read) throw new Error('no read is waiting');
    return read;
  };
  return {
    readMany,
    batches,
    answerNext: () => next().answer(),
    failNext: (error: Error) => next().fail(error),
    unanswered: () => pending.length,
  };
}

const tickEnd = () => new Promise((resolve) => setImmediate(resolve));

describe('reads of one key made of reads of many', () => {
  it('sends the calls of one tick together and answers each its own value', async () => {
    const store = heldStore();
    const read = batchedReads(store.readMany, 100);
    const answers = Promise.all(['a', 'b', 'c'].map(read));
    await tickEnd();
    store.answerNext();
    expect(await answers).toEqual(['value of a', 'value of b', 'value of c']);
    expect(store.batches).toEqual([['a', 'b', 'c']]);
  });

  it('sends calls from separate callbacks of one turn of the event loop together, as requests arrive', async () => {
    const store = heldStore();
    const read = batchedReads(store.readMany, 100);
    const answers = Promise.all(
      ['a', 'b'].map((key) => new Promise<string>((resolve) => setImmediate(() => resolve(read(key))))),
    );
    await tickEnd();
    await tickEnd();
    expect(store.batches).toEqual([['a', 'b']]);
    store.answerNext();
    expect(await answers).toEqual(['value of a', 'value of b']);
  });

  it('sends the calls made while a read is in flight together once it answers', async () => {
    const store = heldStore();
    const read = batchedReads(store.readMany, 100);
    const first = read('a');
    await tickEnd();
    const later = Promise.all([read('b'), read('c'), read('b')]);
    await tickEnd();
    expect(store.batches).toEqual([['a']]);
    store.answerNext();
    expect(await first).toBe('value of a');
    await tickEnd();
    expect(store.batches).toEqual([['a'], ['b', 'c']]);
    store.answerNext();
    expect(await later).toEqual(['value of b', 'value of c', 'value of b']);
  });

  it('splits calls past the cap into batches of at most the cap', async () => {
    const store = heldStore();
    const read = batchedReads(store.readMany, 2);
    const answers = Promise.all(['a', 'b', 'c', 'd', 'e'].map(read));
    await tickEnd();
    expect(store.batches).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    store.answerNext();
    store.answerNext();
    await tickEnd();
    expect(store.batches).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    store.answerNext();
    expect(await answers).toEqual(['a', 'b', 'c', 'd', 'e'].map((key) => `value of ${key}`));
  });

  it('rejects every call of a failed batch, and sends later calls as usual', async () => {
    const store = heldStore();
    const read = batchedReads(store.readMany, 100);
    const failed = ['a', 'b'].map((key) => read(key).catch((error: unknown) => error));
    await tickEnd();
    const broken = new Error('connection lost');
    store.failNext(broken);
    expect(await Promise.all(failed)).toEqual([broken, broken]);
    const later = read('a');
    await tickEnd();
    store.answerNext();
    expect(await later).toBe('value of a');
    expect(store.unanswered()).toBe(0);
  });

  it('rejects only the call whose key the batch did not answer', async () => {
    const store = heldStore();
    const read = batchedReads(store.readMany, 100);
    const answers = ['a', 'lost'].map((key) => read(key).catch((error: unknown) => error));
    await tickEnd();
    store.answerNext();
    const [found, lost] = await Promise.all(answers);
    expect(found).toBe('value of a');
    expect(lost).toBeInstanceOf(BatchedReadMissing);
  });
});
