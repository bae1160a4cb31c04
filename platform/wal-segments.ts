/**
 * PostgreSQL's WAL segment names (`TTTTTTTTXXXXXXXXYYYYYYYY`: timeline, then the segment's number in two
 * halves) and positions (LSNs, `X/Y`), for the default 16 MiB segments.
 */

const SEGMENT_BYTES = 16n * 1024n * 1024n;
const PER_HIGH = 0x1_0000_0000n / SEGMENT_BYTES;

const hex8 = (value: bigint) => value.toString(16).toUpperCase().padStart(8, '0');

/** A segment's number in the WAL, whatever its timeline. */
export const segmentNumber = (segment: string) =>
  BigInt(`0x${segment.slice(8, 16)}`) * PER_HIGH + BigInt(`0x${segment.slice(16, 24)}`);

export const timelineOf = (segment: string) => parseInt(segment.slice(0, 8), 16);

/** The name of segment `number` on `timeline`. */
export const segmentName = (timeline: number, number: bigint) =>
  `${hex8(BigInt(timeline))}${hex8(number / PER_HIGH)}${hex8(number % PER_HIGH)}`;

const lsnOf = (position: bigint) =>
  `${(position >> 32n).toString(16).toUpperCase()}/${(position & 0xffff_ffffn).toString(16).toUpperCase()}`;

/** A position (`X/Y`) as a byte offset in the WAL. */
export const positionOf = (lsn: string) => {
  const [high, low] = lsn.split('/');
  return (BigInt(`0x${high}`) << 32n) + BigInt(`0x${low}`);
};

/** The WAL range a segment holds: from its first byte to the first byte of the next. */
export function segmentRange(segment: string) {
  const start = segmentNumber(segment) * SEGMENT_BYTES;
  return { walStart: lsnOf(start), walEnd: lsnOf(start + SEGMENT_BYTES) };
}

/** The segment holding the WAL byte at `position` on `timeline`. */
export const segmentHolding = (position: bigint, timeline: number) =>
  segmentName(timeline, position / SEGMENT_BYTES);

/** The segment holding the WAL at `lsn` on `timeline`. */
export const segmentAt = (lsn: string, timeline: number) => segmentHolding(positionOf(lsn), timeline);
