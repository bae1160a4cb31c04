import { z } from 'zod';
import { decodeRecord, type Decoded, type RecordKind } from '../rules/decode.js';

/** Where a dead letter's original record was read: what a redrive counts at most once. */
export interface SourcePosition {
  topic: string;
  partition: number;
  offset: string;
}

export type RedriveDecoded =
  { ok: true; source: SourcePosition; decoded: Decoded } | { ok: false; error: string };

/** The part of an `achievements.dlq.v1` record a redrive reads again (see `deadLetter`). */
const dlqRecord = z.object({
  topic: z.string(),
  partition: z.number().int().min(0),
  offset: z.string().regex(/^\d+$/),
  key: z.string().nullable(),
  value: z.string().nullable(),
  keyEncoding: z.literal('base64').optional(),
  valueEncoding: z.literal('base64').optional(),
  truncated: z.literal(true).optional(),
});

const bytesOf = (text: string | null, encoding: 'base64' | undefined) =>
  text === null ? null : Buffer.from(text, encoding === 'base64' ? 'base64' : 'utf8');

/**
 * Reads an `achievements.redrive.v1` record: a DLQ record sent back after a fix. Its original is decoded as
 * its source topic's records are, the time checked against `redrivenAtMs` (the redrive record's own Kafka
 * time: a producer whose clock ran behind set such records aside, and they count once redriven). `kinds` are
 * the input topics this processor reads; the redrive of any other topic's record is refused.
 */
export function decodeRedrive(
  value: Buffer | null,
  kinds: ReadonlyMap<string, RecordKind>,
  redrivenAtMs: number,
): RedriveDecoded {
  let json: unknown;
  try {
    json = JSON.parse(value?.toString('utf8') ?? 'null');
  } catch (error) {
    return { ok: false, error: `a redrive record is a DLQ record as JSON: ${(error as Error).message}` };
  }
  const parsed = dlqRecord.safeParse(json);
  if (!parsed.success)
    return { ok: false, error: `a redrive record is a DLQ record: ${parsed.error.issues[0]!.message}` };
  const letter = parsed.data;
  const kind = kinds.get(letter.topic);
  if (!kind)
    return { ok: false, error: `records of ${letter.topic} are not input records; nothing reads them again` };
  const source = { topic: letter.topic, partition: letter.partition, offset: letter.offset };
  if (letter.truncated)
    return {
      ok: true,
      source,
      decoded: { ok: false, error: 'the original is larger than any input record may be; it cannot count' },
    };
  const decoded = decodeRecord(
    kind,
    bytesOf(letter.key, letter.keyEncoding),
    bytesOf(letter.value, letter.valueEncoding),
    redrivenAtMs,
  );
  return { ok: true, source, decoded };
}

export const sourceKey = ({ topic, partition, offset }: SourcePosition) => `${topic}:${partition}:${offset}`;
