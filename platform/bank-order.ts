/** What the merge needs of a fetched record: its offset and the time Kafka took it (CreateTime, ms). */
export interface OffsetRecord {
  offset: string;
  timestamp: string;
}

/**
 * Offsets are kept as numbers inside: exact up to 2⁵³, which no partition's offsets come near, and compared
 * for every record, where parsing a bigint each time would cost more than the comparison.
 */
interface Stream<R> {
  buffer: R[];
  /** The offset and Kafka time of each buffered record, parsed once. */
  offsets: number[];
  times: number[];
  /** Index in `buffer` of the next record not yet taken. */
  head: number;
  /** The offset after the last one fetched (control records included): where the stream stands when drained. */
  fetchedTo: number;
  until: number;
}

/** A record taken in bank order, with the index of the topic (stream) it came from. */
export interface Taken<R> {
  stream: number;
  record: R;
}

/**
 * One partition's records of several input topics, interleaved in the order the core bank wrote them: by
 * Kafka timestamp, ties broken by topic then offset. A record is taken only once every stream still short of
 * its cut has a record to compare it with, so the order does not depend on how fetches happened to arrive,
 * and a replay resumed from `positions()` continues exactly as an uninterrupted one would.
 */
export class BankOrder<R extends OffsetRecord> {
  private readonly streams: Stream<R>[];

  constructor(from: readonly bigint[]) {
    this.streams = from.map((offset) => ({
      buffer: [],
      offsets: [],
      times: [],
      head: 0,
      fetchedTo: Number(offset),
      until: Number(offset),
    }));
  }

  /** Where each stream is to be read up to (exclusive); records at or past it stay buffered, not taken. */
  setUntil(until: readonly bigint[]) {
    until.forEach((offset, i) => (this.streams[i]!.until = Number(offset)));
  }

  /** A fetched batch of one stream; `nextOffset` is the offset after the batch's last, control records included. */
  push(stream: number, records: readonly R[], nextOffset: bigint) {
    const s = this.streams[stream]!;
    for (const record of records) {
      const offset = Number(record.offset);
      if (offset < s.fetchedTo) continue;
      s.buffer.push(record);
      s.offsets.push(offset);
      s.times.push(Number(record.timestamp));
    }
    if (Number(nextOffset) > s.fetchedTo) s.fetchedTo = Number(nextOffset);
  }

  /** Records fetched and not yet taken, per stream: what the reader bounds by pausing a stream. */
  buffered(stream: number): number {
    const s = this.streams[stream]!;
    return s.buffer.length - s.head;
  }

  private nextOffset(s: Stream<R>): number {
    return s.head < s.buffer.length ? s.offsets[s.head]! : s.fetchedTo;
  }

  /** True once every stream stands at its cut. */
  reached(): boolean {
    return this.streams.every((s) => this.nextOffset(s) >= s.until);
  }

  /** The offset each stream continues from: after the last record taken (or fetched past, for control records). */
  positions(): bigint[] {
    return this.streams.map((s) => BigInt(Math.min(this.nextOffset(s), s.until)));
  }

  /** Up to `max` records in bank order, as many as can be known now. */
  take(max: number): Taken<R>[] {
    const taken: Taken<R>[] = [];
    while (taken.length < max) {
      let best = -1;
      let bestTime = 0;
      for (let i = 0; i < this.streams.length; i++) {
        const s = this.streams[i]!;
        if (this.nextOffset(s) >= s.until) continue;
        // Still short of its cut with nothing fetched: its next record may come first, so wait for it.
        if (s.head >= s.buffer.length) return this.compact(taken);
        const time = s.times[s.head]!;
        if (best === -1 || time < bestTime) {
          best = i;
          bestTime = time;
        }
      }
      if (best === -1) break;
      const s = this.streams[best]!;
      taken.push({ stream: best, record: s.buffer[s.head++]! });
    }
    return this.compact(taken);
  }

  /** Drops taken records from the buffers now and then, so they are not held after use. */
  private compact(taken: Taken<R>[]): Taken<R>[] {
    for (const s of this.streams) {
      if (s.head > 1024 && s.head * 2 > s.buffer.length) {
        s.buffer = s.buffer.slice(s.head);
        s.offsets = s.offsets.slice(s.head);
        s.times = s.times.slice(s.head);
        s.head = 0;
      }
    }
    return taken;
  }
}
