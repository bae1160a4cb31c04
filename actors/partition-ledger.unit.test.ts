import { describe, expect, it } from 'vitest';
import { PartitionLedger } from './partition-ledger.js';
import type { StoredPosition } from './progress-store.js';
import type { ProgressNudged } from '../rules/nudges.js';

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
    ledger.take();
    expect(ledger.pending).toBe(false);
    expect(ledger.due(60_000, policy)).toBe(false);
  });

  it('is due by events alone while catching up, and by time again once live', () => {
    const ledger = PartitionLedger.fromStored(0, ['tx', 'ev'], new Map([['tx', stored({})]]), 5);
    ledger.applied('tx', '60', 50, [], 1_000);
    ledger.behindBy('tx', 11);
    ledger.behindBy('ev', 0);
    expect(ledger.due(60_000, policy)).toBe(false);
    ledger.applied('tx', '110', 50, [], 61_000);
    expect(ledger.due(61_000, policy)).toBe(true);
    ledger.take();
    ledger.applied('tx', '111', 1, [], 62_000);
    ledger.behindBy('tx', 10);
    expect(ledger.due(67_000, policy)).toBe(true);
  });

  it('hands what waits to a checkpoint, takes it back if that is not stored, and moves the rows it stored', () => {
    const ledger = PartitionLedger.fromStored(0, ['tx', 'ev'], new Map([['tx', stored({})]]), 5);
    const nudge = { clientId: 'c-1' } as ProgressNudged;
    ledger.applied('tx', '12', 2, [nudge], 1_000);
    const taken = ledger.take();
    expect(taken).toEqual({ events: 2, changedSinceMs: 1_000, nudged: [nudge] });
    // The partition went on while the checkpoint was being stored, which then failed.
    ledger.applied('tx', '13', 1, [], 2_000);
    ledger.putBack(taken);
    expect(ledger.take()).toEqual({ events: 3, changedSinceMs: 1_000, nudged: [nudge] });
    // Stored at 12 while the actors are at 13; the other topic's first position is where its run starts.
    ledger.checkpointed(
      new Map([
        ['tx', stored({ nextOffset: '12', ruleSeq: 4 })],
        ['ev', stored({ nextOffset: '0' })],
      ]),
      6,
    );
    expect(ledger.position('tx')).toMatchObject({
      nextOffset: '13',
      ruleSeq: 4,
      stored: { nextOffset: '12' },
    });
    expect(ledger.position('ev')).toMatchObject({ nextOffset: '0', stored: { nextOffset: '0' } });
    expect(ledger.segmentSeq).toBe(6);
  });
});
