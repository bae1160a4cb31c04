import { describe, expect, it } from 'vitest';
import { segmentAt, segmentName, segmentNumber, segmentRange, timelineOf } from './wal-segments.js';

describe('WAL segment names and positions (16 MiB segments)', () => {
  it('numbers segments across the high half of the name, as PostgreSQL does', () => {
    expect(segmentNumber('000000010000000000000003')).toBe(3n);
    expect(segmentNumber('0000000100000001000000FF')).toBe(256n + 255n);
    expect(segmentName(1, 256n + 255n)).toBe('0000000100000001000000FF');
    expect(segmentName(1, 256n + 256n)).toBe('000000010000000200000000');
    expect(timelineOf('0000000200000001000000FF')).toBe(2);
  });

  it('tells the WAL range a segment holds, its end rolling into the next high half', () => {
    expect(segmentRange('000000010000000000000002')).toEqual({ walStart: '0/2000000', walEnd: '0/3000000' });
    expect(segmentRange('0000000100000000000000FF')).toEqual({ walStart: '0/FF000000', walEnd: '1/0' });
  });

  it('finds the segment holding a position, as pg_walfile_name does', () => {
    expect(segmentAt('0/2000028', 1)).toBe('000000010000000000000002');
    expect(segmentAt('1/FF000000', 3)).toBe('0000000300000001000000FF');
  });
});
