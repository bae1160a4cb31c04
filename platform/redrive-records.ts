import { z } from 'zod';
import { decodeRecord, type Decoded, type RecordKind } from '../rules/decode.js';

/** Where a dead letter's original record was read: what a redrive counts at most once. */
export interface SourcePosition {
  topic: string;
  partition: number;
  offset: string;
}

/** The original a DLQ record carries, as far as it decides what counts. */
export interface Original {
  key: Buffer | null;
  value: Buffer | null;
  truncated: boolean;
}

export type RedriveDecoded =
  { ok: true; source: SourcePosition; original: Original; decoded: Decoded } | { ok: false; error: string };

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

type DlqRecord = z.infer<typeof dlqRecord>;

const bytesOf = (text: string | null, encoding: 'base64' | undefined) =>
  text === null ? null : Buffer.from(text, encoding === 'base64' ? 'base64' : 'utf8');

const originalOf = (letter: DlqRecord): Original => ({
  key: bytesOf(letter.key, letter.keyEncoding),
  value: bytesOf(letter.value, letter.valueEncoding),
  truncated: letter.truncated === true,
});

function parseLetter(
  value: Buffer | string | null,
): { ok: true; letter: DlqRecord } | { ok: false; error: string } {
  let json: unknown;
  try {
    json = JSON.parse(value?.toString() ?? 'null');
  } catch (error) {
    return { ok: false, error: `a redrive record is a DLQ record as JSON: ${(error as Error).message}` };
  }
  const parsed = dlqRecord.safeParse(json);
  return parsed.success
    ? { ok: true, letter: parsed.data }
    : { ok: false, error: `a redrive record is a DLQ record: ${parsed.error.issues[0]!.message}` };
}

const sameBytes = (a: Buffer | null, b: Buffer | null) => (a === null || b === null ? a === b : a.equals(b));

/**
 * Whether a redrive carries the very original the engine set aside, `record` being the DLQ record it indexed
 * then: the same key and value bytes, however the JSON around them is written. Anything else is a record
 * made up, or altered, on its way back.
 */
export function carriesOriginal(original: Original, record: string): boolean {
  const stored = parseLetter(record);
  if (!stored.ok) return false;
  const kept = originalOf(stored.letter);
  return (
    kept.truncated === original.truncated &&
    sameBytes(kept.key, original.key) &&
    sameBytes(kept.value, original.value)
  );
}

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
  const parsed = parseLetter(value);
  if (!parsed.ok) return parsed;
  const { letter } = parsed;
  const kind = kinds.get(letter.topic);
  if (!kind)
    return { ok: false, error: `records of ${letter.topic} are not input records; nothing reads them again` };
  const source = { topic: letter.topic, partition: letter.partition, offset: letter.offset };
  const original = originalOf(letter);
  const decoded: Decoded = original.truncated
    ? { ok: false, error: 'the original is larger than any input record may be; it cannot count' }
    : decodeRecord(kind, original.key, original.value, redrivenAtMs);
  return { ok: true, source, original, decoded };
}

export const sourceKey = ({ topic, partition, offset }: SourcePosition) => `${topic}:${partition}:${offset}`;
