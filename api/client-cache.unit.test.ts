import { describe, expect, it } from 'vitest';
import { ClientCache } from './client-cache.js';

/** A cache over a store the test changes, counting the reads that reached the store. */
function cacheOver(store: Map<string, number>, max = 100) {
  const reads: string[] = [];
  let pending: { clientId: string; answer: () => void }[] = [];
  let held = false;
  const load = (clientId: string) => {
    reads.push(clientId);
    if (!held) return Promise.resolve(store.get(clientId) ?? 0);
    const value = store.get(clientId) ?? 0;
    return new Promise<number>((resolve) => pending.push({ clientId, answer: () => resolve(value) }));
  };
  const cache = new ClientCache(load, max);
  return {
    cache,
    reads,
    /** Reads from now on wait for `release`, answering what the store held when they were sent. */
    hold: () => (held = true),
    /** Answers the held reads, the newest first when asked. */
    release: async (newestFirst = false) => {
      const answering = newestFirst ? pending.reverse() : pending;
      pending = [];
      held = false;
      for (const { answer } of answering) {
        answer();
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
  };
}

describe('the cache of what the app reads of a client', () => {
  it('answers from memory once a client was read while changes are heard', async () => {
    const { cache, reads } = cacheOver(new Map([['c-1', 5]]));
    cache.listening();
    expect(await cache.get('c-1')).toBe(5);
    expect(await cache.get('c-1')).toBe(5);
    expect(reads).toEqual(['c-1']);
  });

  it('keeps nothing until changes are heard', async () => {
    const { cache, reads } = cacheOver(new Map([['c-1', 5]]));
    await cache.get('c-1');
    await cache.get('c-1');
    expect(reads).toEqual(['c-1', 'c-1']);
    expect(cache.size).toBe(0);
  });

  it('reads a client again after their change is announced, and only them', async () => {
    const store = new Map([
      ['c-1', 5],
      ['c-2', 7],
    ]);
    const { cache, reads } = cacheOver(store);
    cache.listening();
    await cache.get('c-1');
    await cache.get('c-2');
    store.set('c-1', 6);
    cache.changed(['c-1']);
    expect(await cache.get('c-1')).toBe(6);
    expect(await cache.get('c-2')).toBe(7);
    expect(reads).toEqual(['c-1', 'c-2', 'c-1']);
  });

  it('does not keep a read that answers from before a change announced while it was out', async () => {
    const store = new Map([['c-1', 5]]);
    const { cache, reads, hold, release } = cacheOver(store);
    cache.listening();
    hold();
    const before = cache.get('c-1');
    store.set('c-1', 6);
    cache.changed(['c-1']);
    const after = cache.get('c-1');
    await release(true);
    expect(await before).toBe(5);
    expect(await after).toBe(6);
    expect(reads).toEqual(['c-1', 'c-1']);
    expect(await cache.get('c-1')).toBe(6);
    expect(reads).toHaveLength(2);
  });

  it('lets requests for a client share one read', async () => {
    const { cache, reads, hold, release } = cacheOver(new Map([['c-1', 5]]));
    cache.listening();
    hold();
    const both = Promise.all([cache.get('c-1'), cache.get('c-1')]);
    await release();
    expect(await both).toEqual([5, 5]);
    expect(reads).toEqual(['c-1']);
  });

  it('forgets everyone when everyone changed, and goes on keeping', async () => {
    const store = new Map([['c-1', 5]]);
    const { cache, reads } = cacheOver(store);
    cache.listening();
    await cache.get('c-1');
    store.set('c-1', 9);
    cache.changedAll();
    expect(await cache.get('c-1')).toBe(9);
    expect(await cache.get('c-1')).toBe(9);
    expect(reads).toEqual(['c-1', 'c-1']);
  });

  it('forgets everyone and keeps nothing while changes cannot be heard, until they are again', async () => {
    const store = new Map([['c-1', 5]]);
    const { cache, reads, hold, release } = cacheOver(store);
    cache.listening();
    await cache.get('c-1');
    hold();
    const inFlight = cache.get('c-2');
    cache.lost();
    await release();
    await inFlight;
    expect(cache.size).toBe(0);
    await cache.get('c-1');
    await cache.get('c-1');
    expect(reads).toEqual(['c-1', 'c-2', 'c-1', 'c-1']);
    cache.listening();
    await cache.get('c-1');
    await cache.get('c-1');
    expect(reads).toHaveLength(5);
  });

  it('drops the client read longest ago past its bound', async () => {
    const { cache, reads } = cacheOver(new Map(), 2);
    cache.listening();
    for (const clientId of ['c-1', 'c-2', 'c-1', 'c-3']) await cache.get(clientId);
    expect(reads).toEqual(['c-1', 'c-2', 'c-3']);
    await cache.get('c-1');
    await cache.get('c-2');
    expect(reads).toEqual(['c-1', 'c-2', 'c-3', 'c-2']);
  });

  it('keeps no failed read, and reads again at the next request', async () => {
    let fail = true;
    const cache = new ClientCache(
      (clientId: string) => (fail ? Promise.reject(new Error('down')) : Promise.resolve(clientId)),
      10,
    );
    cache.listening();
    await expect(cache.get('c-1')).rejects.toThrow('down');
    fail = false;
    expect(await cache.get('c-1')).toBe('c-1');
  });
});
