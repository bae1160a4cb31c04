import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BankOrder } from './bank-order.js';

const rec = (offset: number, timestamp: number) => ({ offset: String(offset), timestamp: String(timestamp) });
const names = (taken: { stream: number; record: { offset: string } }[]) =>
  taken.map(({ stream, record }) => `${stream}:${record.offset}`);

describe('BankOrder: a partition of two input topics in the order the bank wrote them', () => {
  it('interleaves by Kafka timestamp, a tie going to the first topic', () => {
    const order = new BankOrder([0n, 0n]);
    order.setUntil([3n, 2n]);
    order.push(0, [rec(0, 100), rec(1, 300), rec(2, 500)], 3n);
    order.push(1, [rec(0, 300), rec(1, 400)], 2n);
    expect(names(order.take(10))).toEqual(['0:0', '0:1', '1:0', '1:1', '0:2']);
    expect(order.reached()).toBe(true);
    expect(order.positions()).toEqual([3n, 2n]);
  });

  it('waits for a topic short of its cut before taking a later record of the other', () => {
    const order = new BankOrder([0n, 0n]);
    order.setUntil([2n, 1n]);
    order.push(0, [rec(0, 100), rec(1, 200)], 2n);
    expect(names(order.take(10))).toEqual([]);
    order.push(1, [rec(0, 150)], 1n);
    expect(names(order.take(10))).toEqual(['0:0', '1:0', '0:1']);
  });

  it('keeps records at or past the cut for a later, further read', () => {
    const order = new BankOrder([0n, 0n]);
    order.setUntil([1n, 0n]);
    order.push(0, [rec(0, 100), rec(1, 200)], 2n);
    expect(names(order.take(10))).toEqual(['0:0']);
    expect(order.positions()).toEqual([1n, 0n]);
    order.setUntil([2n, 0n]);
    expect(names(order.take(10))).toEqual(['0:1']);
  });

  it('ignores records fetched again, and moves past a stretch holding only control records', () => {
    const order = new BankOrder([5n, 0n]);
    order.setUntil([9n, 0n]);
    order.push(0, [rec(3, 1), rec(5, 10), rec(6, 20)], 7n);
    order.push(0, [rec(6, 20)], 7n);
    order.push(0, [], 9n);
    expect(names(order.take(10))).toEqual(['0:5', '0:6']);
    expect(order.reached()).toBe(true);
    expect(order.positions()).toEqual([9n, 0n]);
  });

  it('resumed from its positions, takes exactly what an uninterrupted read takes next', () => {
    const stream = fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 30 });
    fc.assert(
      fc.property(stream, stream, fc.nat(), (a, b, cut) => {
        const records = [a.map((t, i) => rec(i, t)), b.map((t, i) => rec(i, t))];
        const whole = new BankOrder([0n, 0n]);
        whole.setUntil([BigInt(a.length), BigInt(b.length)]);
        records.forEach((list, i) => whole.push(i, list, BigInt(list.length)));
        const all = names(whole.take(1_000));
        const first = new BankOrder([0n, 0n]);
        first.setUntil([BigInt(a.length), BigInt(b.length)]);
        records.forEach((list, i) => first.push(i, list, BigInt(list.length)));
        const head = names(first.take(cut % (all.length + 1)));
        const at = first.positions();
        const resumed = new BankOrder(at);
        resumed.setUntil([BigInt(a.length), BigInt(b.length)]);
        records.forEach((list, i) => resumed.push(i, list.slice(Number(at[i])), BigInt(list.length)));
        expect([...head, ...names(resumed.take(1_000))]).toEqual(all);
      }),
      { seed: 20261201, numRuns: 500 },
    );
  });
});
