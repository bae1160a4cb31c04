import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { NO_CONTEXT } from '../rules/audience.js';
import { afterEach, describe, expect, it } from 'vitest';
import { catalog, purchase, ruleDocument } from '../test/support/events.js';
import { ClientActors } from './client-actors.js';
import { buildCatalog, type Catalog } from '../rules/catalog.js';
import { initialProgress } from '../rules/progress.js';
import type { InputEvent } from '../rules/events.js';

const at = '2026-11-24T08:15:00+02:00';
let actors: ClientActors;
const applyOne = async (event: InputEvent, rules: Catalog) => (await actors.applyAll([event], rules))[0]!;

afterEach(() => actors.stopAll());

describe('ClientActors', () => {
  it('applies a client’s events in order and reports the new progress and unlocks', async () => {
    actors = new ClientActors('Europe/Kyiv', 60_000);
    actors.spawn('c-1', 0, undefined, NO_CONTEXT);
    const [first, second] = await actors.applyAll([purchase({ time: at }), purchase({ time: at })], catalog);
    expect(first!).toMatchObject({ ok: true, changed: true, state: { version: 1 } });
    expect(first!.ok && first!.unlocked.map((u) => u.achievementId)).toEqual(['first-purchase']);
    expect(second).toMatchObject({ ok: true, state: { version: 2 }, unlocked: [] });
  });

  it('answers a run of several clients’ events in the events’ order, and refuses one without an actor', async () => {
    actors = new ClientActors('Europe/Kyiv', 60_000);
    actors.spawn('c-1', 0, undefined, NO_CONTEXT);
    actors.spawn('c-2', 0, undefined, NO_CONTEXT);
    const events = ['c-2', 'c-1', 'c-2'].map((clientId, i) =>
      purchase({ clientId, id: `tx-${i}`, time: at }),
    );
    const applied = await actors.applyAll(events, catalog);
    expect(applied.map((a) => a.ok && [a.clientId, a.state.version])).toEqual([
      ['c-2', 1],
      ['c-1', 1],
      ['c-2', 2],
    ]);
    await expect(actors.applyAll([purchase({ clientId: 'c-3', time: at })], catalog)).rejects.toThrow(
      'no live actor for client c-3',
    );
  });

  it('starts from the stored progress it is given', async () => {
    actors = new ClientActors('Europe/Kyiv', 60_000);
    const stored = {
      version: 7,
      progress: { ...initialProgress(), unlocked: { 'first-purchase': { at, sourceEventId: 'tx-0' } } },
    };
    actors.spawn('c-1', 0, stored, NO_CONTEXT);
    const applied = await applyOne(purchase({ time: at }), catalog);
    expect(applied).toMatchObject({ ok: true, state: { version: 8 }, unlocked: [] });
  });

  it('passivates only clean actors idle for longer than the idle time', async () => {
    actors = new ClientActors('Europe/Kyiv', 1_000);
    actors.spawn('c-1', 0, undefined, NO_CONTEXT);
    actors.spawn('c-2', 0, undefined, NO_CONTEXT);
    await applyOne(purchase({ clientId: 'c-2', time: at }), catalog);
    expect(actors.passivateIdle(Date.now() + 500)).toBe(0);
    // c-2 holds progress no checkpoint stored yet: it stays until one does.
    expect(actors.passivateIdle(Date.now() + 1_500)).toBe(1);
    expect(actors.missing(['c-1', 'c-2'])).toEqual(['c-1']);
    actors.stored(0, actors.unstored(0));
    expect(actors.passivateIdle(Date.now() + 1_500)).toBe(1);
    expect(actors.missing(['c-1', 'c-2'])).toEqual(['c-1', 'c-2']);
  });

  it('hands a checkpoint the progress of the partition’s clients newer than stored, once', async () => {
    actors = new ClientActors('Europe/Kyiv', 60_000);
    actors.spawn('c-1', 0, { version: 4, progress: initialProgress() }, NO_CONTEXT);
    actors.spawn('c-2', 0, undefined, NO_CONTEXT);
    actors.spawn('c-3', 1, undefined, NO_CONTEXT);
    await actors.applyAll(
      ['c-1', 'c-1', 'c-3'].map((clientId, i) => purchase({ clientId, id: `tx-${i}`, time: at })),
      catalog,
    );
    const unstored = actors.unstored(0);
    expect([...unstored].map(([clientId, { version }]) => [clientId, version])).toEqual([['c-1', 6]]);
    actors.stored(0, unstored);
    expect(actors.unstored(0).size).toBe(0);
    expect([...actors.unstored(1).keys()]).toEqual(['c-3']);
  });

  it('puts a run’s clients back as a snapshot took them, so a retried run counts each event once', async () => {
    actors = new ClientActors('Europe/Kyiv', 60_000);
    actors.spawn('c-1', 0, undefined, NO_CONTEXT);
    const before = actors.snapshot(['c-1']);
    expect(await applyOne(purchase({ id: 'tx-1', time: at }), catalog)).toMatchObject({
      state: { version: 1 },
    });
    actors.restore(before);
    expect(actors.unstored(0).size).toBe(0);
    const again = await applyOne(purchase({ id: 'tx-1', time: at }), catalog);
    expect(again).toMatchObject({ ok: true, state: { version: 1 } });
    expect(again.ok && again.unlocked.map((u) => u.achievementId)).toEqual(['first-purchase']);
  });

  it('decides a client’s events with the segments it was last told', async () => {
    actors = new ClientActors('Europe/Kyiv', 60_000);
    const forGold = buildCatalog([
      {
        source: 'gold.yaml',
        document: { ...ruleDocument('first-purchase'), audience: { segments: ['gold'] } },
      },
    ]);
    actors.spawn('c-1', 0, undefined, NO_CONTEXT);
    const outside = await applyOne(purchase({ id: 'tx-1', time: at }), forGold);
    expect(outside).toMatchObject({ ok: true, unlocked: [] });
    actors.setSegments('c-1', ['gold']);
    const inside = await applyOne(purchase({ id: 'tx-2', time: at }), forGold);
    expect(inside.ok && inside.unlocked.map((u) => u.achievementId)).toEqual(['first-purchase']);
  });

  it('releases the clients of revoked partitions and keeps the others', () => {
    actors = new ClientActors('Europe/Kyiv', 60_000);
    actors.spawn('c-1', 0, undefined, NO_CONTEXT);
    actors.spawn('c-2', 1, undefined, NO_CONTEXT);
    expect(actors.releasePartitions((partition) => partition === 1)).toBe(1);
    expect(actors.missing(['c-1', 'c-2'])).toEqual(['c-1']);
  });

  it('answers an event a rule throws on with an error, and keeps serving that client and the others', async () => {
    // A rule that breaks on one merchant category only, as a rule with a bug would.
    const breaksOn6666 = Object.assign([5814], {
      includes(category: number) {
        if (category === 6666) throw new Error('corrupt rule');
        return category === 5814;
      },
    });
    const broken: Catalog = {
      ...catalog,
      rules: catalog.rules.map((rule) =>
        rule.id === 'coffee-lover'
          ? { ...rule, filter: { ...rule.filter, categoryIds: breaksOn6666 } }
          : rule,
      ),
    };
    actors = new ClientActors('Europe/Kyiv', 60_000);
    actors.spawn('c-1', 0, undefined, NO_CONTEXT);
    actors.spawn('c-2', 0, undefined, NO_CONTEXT);
    const failed = await applyOne(purchase({ time: at, categoryId: 6666 }), broken);
    expect(failed).toEqual({ ok: false, clientId: 'c-1', error: 'rule evaluation failed: corrupt rule' });
    const other = (
      await actors.applyAll([purchase({ clientId: 'c-2', time: at, categoryId: 5814 })], broken)
    )[0]!;
    expect(other).toMatchObject({ ok: true, clientId: 'c-2', state: { version: 1 } });
    const same = await applyOne(purchase({ time: at, categoryId: 5814 }), broken);
    expect(same).toMatchObject({ ok: true, clientId: 'c-1', state: { version: 1 } });
    expect(same.ok && same.unlocked.map((u) => u.achievementId)).toEqual(['first-purchase']);
  });
});

/** A full garbage collection, in a test run without --expose-gc. */
function collectGarbage() {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

const nextTurn = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('ClientActors’ memory', () => {
  it('keeps no Immediate of a handled message alive (nact keeps the last one, and it keeps the rest of its pass)', async () => {
    actors = new ClientActors('Europe/Kyiv', 60_000);
    const clientIds = Array.from({ length: 200 }, (_, i) => `c-${i}`);
    for (const clientId of clientIds) actors.spawn(clientId, 0, undefined, NO_CONTEXT);
    const made: WeakRef<object>[] = [];
    const original = globalThis.setImmediate;
    globalThis.setImmediate = ((...args: Parameters<typeof setImmediate>) => {
      const immediate = original(...args);
      made.push(new WeakRef(immediate));
      return immediate;
    }) as typeof setImmediate;
    try {
      await actors.applyAll(
        clientIds.map((clientId, i) => purchase({ clientId, id: `tx-${i}`, time: at })),
        catalog,
      );
    } finally {
      globalThis.setImmediate = original;
    }
    await nextTurn();
    collectGarbage();
    await nextTurn();
    expect(made.length).toBeGreaterThanOrEqual(clientIds.length);
    expect(made.filter((immediate) => immediate.deref() !== undefined)).toHaveLength(0);
    expect(actors.size).toBe(clientIds.length);
  });
});
