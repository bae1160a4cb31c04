import { describe, expect, it } from 'vitest';
import { PartitionLedger } from './partition-ledger.js';
import type { StoredPosition } from './progress-store.js';

const stored = (fields: Partial<StoredPosition>): StoredPosition => ({
  nextOffset: '10',
  ruleSeq: 3,
  epoch: 0,
  decidedOffset: undefined,
  segmentSeq: 5,
  ...fields,
});

const policy = { intervalMs: 5_000, events: 100 };

describe('PartitionLedger', () => {
  it('starts where PostgreSQL holds each topic, and a partition never checkpointed at the newest segment import', () => {
    const read = PartitionLedger.fromStored(2, ['tx', 'ev'], new Map([['tx', stored({})]]), 9);
    expect(read.position('tx')).toMatchObject({ nextOffset: '10', ruleSeq: 3, checked: false });
    expect(read.position('ev')).toMatchObject({ stored: undefined, nextOffset: undefined, ruleSeq: 0 });
    expect(read.segmentSeq).toBe(5);
    expect(PartitionLedger.fromStored(2, ['tx'], new Map(), 9).segmentSeq).toBe(9);
  });

  it('holds newer changes back until every record whose unlocks were stored past the checkpoint is applied again', () => {
    const ledger = PartitionLedger.fromStored(
      0,
      ['tx', 'ev'],
      new Map([
        ['tx', stored({ decidedOffset: '14' })],
        ['ev', stored({ nextOffset: '3', decidedOffset: '3' })],
      ]),
      5,
    );
    expect(ledger.mayTakeRuleChanges('tx')).toBe(false);
    expect(ledger.heldUntil('tx')).toBe('14');
    expect(ledger.mayTakeRuleChanges('ev')).toBe(true);
    expect(ledger.heldUntil('ev')).toBeUndefined();
    expect(ledger.mayTakeSegmentChanges()).toBe(false);
    ledger.applied('tx', '14', 4, [], 0);
    expect(ledger.mayTakeRuleChanges('tx')).toBe(true);
    expect(ledger.mayTakeSegmentChanges()).toBe(true);
  });

  it('is due after the interval since its first change, after enough events, or once quiet; not once checkpointed', () => {
    const ledger = PartitionLedger.fromStored(0, ['tx'], new Map([['tx', stored({})]]), 5);
    expect(ledger.due(10_000, policy)).toBe(false);
    ledger.applied('tx', '11', 1, [], 1_000);
    ledger.applied('tx', '12', 1, [], 1_400);
    expect(ledger.pending).toBe(true);
    // Records kept coming: not due before the interval, unless they stop for a tenth of it.
    expect(ledger.due(1_800, policy)).toBe(false);
    expect(ledger.due(1_900, policy)).toBe(true);
    for (let ms = 1_400; ms < 6_000; ms += 400) ledger.applied('tx', '13', 0, [], ms);
    expect(ledger.due(5_999, policy)).toBe(false);
    expect(ledger.due(6_000, policy)).toBe(true);
    const busy = PartitionLedger.fromStored(0, ['tx'], new Map([['tx', stored({})]]), 5);
    busy.applied('tx', '110', 100, [], 0);
    expect(busy.due(1, policy)).toBe(true);
    ledger.storedAhead(['c-1']);
    ledger.checkpointed(new Map([['tx', stored({ nextOffset: '110', ruleSeq: 4 })]]), 6);
    expect(ledger.pending).toBe(false);
    expect(ledger.due(60_000, policy)).toBe(false);
    expect(ledger.position('tx')).toMatchObject({ nextOffset: '110', ruleSeq: 4 });
    expect(ledger.segmentSeq).toBe(6);
    expect(ledger.aheadOf).toEqual([]);
  });
});
