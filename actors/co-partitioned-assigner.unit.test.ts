import { describe, expect, it } from 'vitest';
import { coPartitionedAssignment } from './co-partitioned-assigner.js';

const topics = new Map([
  ['bank.transactions.v1', [0, 1, 2, 3, 4, 5]],
  ['bank.client-events.v1', [0, 1, 2, 3, 4, 5]],
]);

describe('the processors’ assignment of partitions', () => {
  it('gives partition N of both input topics to one member, for any number of members', () => {
    for (const count of [1, 2, 3, 4, 5, 6, 7]) {
      const members = Array.from({ length: count }, (_, i) => `member-${i}`);
      const assignment = coPartitionedAssignment(members, topics);
      for (const taken of assignment.values())
        expect(taken['bank.client-events.v1'] ?? []).toEqual(taken['bank.transactions.v1'] ?? []);
      const all = [...assignment.values()].flatMap((taken) => taken['bank.transactions.v1'] ?? []);
      expect(all.sort()).toEqual([0, 1, 2, 3, 4, 5]);
    }
  });

  it('spreads the partitions evenly, the same way whatever order the members come in', () => {
    const assignment = coPartitionedAssignment(['b', 'c', 'a', 'd'], topics);
    expect(
      Object.fromEntries([...assignment].map(([id, taken]) => [id, taken['bank.transactions.v1']])),
    ).toEqual({
      a: [0, 4],
      b: [1, 5],
      c: [2],
      d: [3],
    });
  });
});
