import { describe, expect, it } from 'vitest';
import type { ArchivedFile } from './archive-manifest.js';
import { restorePlan } from './point-in-time.js';
import { segmentName, segmentRange } from './wal-segments.js';

const sealedFile = { bytes: 1, sha256: '0'.repeat(64), recipient: 'age1x' };
const base = (archivedAt: string, walStart: string, walEnd: string): ArchivedFile => ({
  kind: 'base',
  name: `base/${archivedAt.replace(/[:.]/g, '-')}.tar.zst.age`,
  archivedAt,
  startedAt: archivedAt,
  walStart,
  walEnd,
  timeline: 1,
  ...sealedFile,
});
const wal = (number: number, archivedAt: string): ArchivedFile => {
  const segment = segmentName(1, BigInt(number));
  return {
    kind: 'wal',
    name: `wal/${segment}.zst.age`,
    segment,
    archivedAt,
    ...segmentRange(segment),
    ...sealedFile,
  };
};

describe('what a point-in-time restore reads', () => {
  const entries = [
    base('2026-12-01T00:00:00.000Z', '0/2000028', '0/2000100'),
    wal(2, '2026-12-01T00:01:00.000Z'),
    wal(3, '2026-12-01T00:02:00.000Z'),
    base('2026-12-01T00:02:30.000Z', '0/4000028', '0/4000100'),
    wal(4, '2026-12-01T00:03:00.000Z'),
    wal(5, '2026-12-01T00:04:00.000Z'),
  ];

  it('takes the newest base finished by the target and every segment from the one its end is in', () => {
    const early = restorePlan(entries, new Date('2026-12-01T00:02:10Z'));
    expect(early.base.archivedAt).toBe('2026-12-01T00:00:00.000Z');
    expect(early.segments.map((s) => s.kind === 'wal' && s.segment)).toEqual(
      [2, 3, 4, 5].map((n) => segmentName(1, BigInt(n))),
    );
    const latest = restorePlan(entries, 'latest');
    expect(latest.base.archivedAt).toBe('2026-12-01T00:02:30.000Z');
    expect(latest.segments).toHaveLength(2);
  });

  it('names the first segment missing after the base', () => {
    const holed = entries.filter((entry) => !(entry.kind === 'wal' && entry.segment.endsWith('03')));
    expect(() => restorePlan(holed, new Date('2026-12-01T00:02:10Z'))).toThrow(
      `wal/${segmentName(1, 3n)}.zst.age is missing from the store`,
    );
  });

  it('refuses a target before every base, and one after the last segment stored', () => {
    expect(() => restorePlan(entries, new Date('2026-11-30T00:00:00Z'))).toThrow(
      'no base backup in the store was finished by 2026-11-30T00:00:00.000Z',
    );
    expect(() => restorePlan(entries, new Date('2026-12-01T00:05:00Z'))).toThrow(
      "the store's WAL ends at 2026-12-01T00:04:00.000Z, before 2026-12-01T00:05:00.000Z",
    );
  });

  it('restores a base alone when no segment came after it', () => {
    const plan = restorePlan([base('2026-12-01T00:00:00.000Z', '0/2000028', '0/2000100')], 'latest');
    expect(plan.segments).toEqual([]);
  });
});
