import { createHash } from 'node:crypto';
import type { IHeaders, KafkaMessage, Message } from 'kafkajs';
import { printable, strictUtf8 } from './text.js';

export interface DeadLetterSource {
  topic: string;
  partition: number;
  message: KafkaMessage;
}

/** A record too large to copy into the DLQ whole: kept by the engine, named in the DLQ record by its hash. */
export interface KeptRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  /** As the DLQ record shows them: base64 when its `headersEncoding` says so. */
  headers: Record<string, string>;
  valueSha256: string;
  error: string;
}

/** A dead letter as operations browse it: where it came from and why, by reason class (see `reasonOf`). */
export interface IndexedLetter {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  reason: DeadLetterReason;
  error: string;
  /** Its original was too large to copy whole into the DLQ record (and is a `KeptRecord`). */
  truncated: boolean;
}

/** The `achievements.dlq.v1` record, the original to keep when it was too large to copy whole, and its index. */
export interface DeadLetter {
  message: Message;
  kept?: KeptRecord;
  index: IndexedLetter;
}

/** What kind of fault set a record aside: the console counts dead letters by it. */
export type DeadLetterReason =
  | 'empty'
  | 'too-large'
  | 'encoding'
  | 'json'
  | 'schema'
  | 'key'
  | 'impossible-time'
  | 'storage'
  | 'refused'
  | 'other';

const REASONS: [RegExp, DeadLetterReason][] = [
  [/^the record has no value/, 'empty'],
  [/^the value is \d+ bytes/, 'too-large'],
  [/^the value is not valid UTF-8/, 'encoding'],
  [/^not valid JSON/, 'json'],
  [/^schema:/, 'schema'],
  [/^the record (has no key|key)/, 'key'],
  [/^impossible time/, 'impossible-time'],
  [/^the engine could not store/, 'storage'],
  [/^the broker refused/, 'refused'],
];

/** The class of a dead letter's error, as the engine words them (rules/decode.ts, actors/batch.ts, actors/outbox.ts). */
export const reasonOf = (error: string): DeadLetterReason =>
  REASONS.find(([pattern]) => pattern.test(error))?.[1] ?? 'other';

/**
 * A DLQ record copies its original whole up to this size (escaped as JSON). Well under the topic's 1 MiB
 * limit, so a batch of dead letters is never refused by the broker, whatever the originals held.
 */
export const MAX_INLINE_BYTES = 64 * 1024;
const MAX_ERROR_LENGTH = 2_000;
const PREVIEW_LENGTH = 1_024;
const MAX_KAFKA_KEY_BYTES = 1_024;
const MAX_HEADER_BYTES = 4_096;

/**
 * Bytes as text when they are clean text: UTF-8 without NUL. PostgreSQL's json operators refuse to turn a
 * `\u0000` into text, so a DLQ record holding one could not be browsed there; such bytes are shown base64.
 */
function cleanText(bytes: Buffer): string | undefined {
  const text = strictUtf8(bytes);
  return text?.includes('\u0000') ? undefined : text;
}

/** Bytes as the DLQ shows them: the text when it is clean, base64 otherwise (and says which). */
function asText(bytes: Buffer | null): { text: string | null; base64: boolean } {
  if (bytes === null) return { text: null, base64: false };
  const text = cleanText(bytes);
  return text === undefined ? { text: bytes.toString('base64'), base64: true } : { text, base64: false };
}

const COMMA = Buffer.from(',');

/** A header's bytes; a name kafkajs read several times has its values joined by commas. */
function headerBytes(value: Buffer | string | (Buffer | string)[]): Buffer {
  const parts = (Array.isArray(value) ? value : [value]).map((part) => Buffer.from(part));
  return Buffer.concat(parts.flatMap((part, i) => (i === 0 ? [part] : [COMMA, part])));
}

/** Headers as the DLQ shows them: names and values as text, or every one base64 when any is not clean text. */
function headersAsText(headers: IHeaders | undefined): { text: Record<string, string>; base64: boolean } {
  const bytes = Object.entries(headers ?? {}).flatMap(([name, value]) =>
    value === undefined ? [] : [[Buffer.from(name), headerBytes(value)] as const],
  );
  const texts = bytes.flatMap(([name, value]) => {
    const [nameText, valueText] = [cleanText(name), cleanText(value)];
    return nameText === undefined || valueText === undefined ? [] : [[nameText, valueText] as const];
  });
  if (texts.length === bytes.length) return { text: Object.fromEntries(texts), base64: false };
  const encoded = bytes.map(([name, value]) => [name.toString('base64'), value.toString('base64')] as const);
  return { text: Object.fromEntries(encoded), base64: true };
}

/** The first `length` characters, never ending inside a surrogate pair. */
function preview(text: string | null, length: number): string | null {
  if (text === null || text.length <= length) return text;
  const cut = text.slice(0, length);
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
}

/**
 * The `achievements.dlq.v1` record for a record the engine could not accept (CONTRACT §2): the original key,
 * value as a string and headers, the reason, and where it came from so it can be found and replayed. Bytes
 * that are not clean text (see `cleanText`) are base64, which an encoding field says, so any record Kafka
 * carries is kept exactly and can be browsed. An original too large to copy whole is kept (see `KeptRecord`)
 * and the DLQ record names its size and SHA-256.
 */
export function deadLetter({ topic, partition, message }: DeadLetterSource, reason: string): DeadLetter {
  const error = printable(preview(reason, MAX_ERROR_LENGTH)!);
  const key = asText(message.key);
  const value = asText(message.value);
  const headers = headersAsText(message.headers);
  const encodings = {
    ...(key.base64 ? { keyEncoding: 'base64' } : {}),
    ...(value.base64 ? { valueEncoding: 'base64' } : {}),
  };
  const whole = JSON.stringify({
    error,
    topic,
    partition,
    offset: message.offset,
    key: key.text,
    value: value.text,
    headers: headers.text,
    ...encodings,
    ...(headers.base64 ? { headersEncoding: 'base64' } : {}),
  });
  const smallKey = (message.key?.length ?? 0) <= MAX_KAFKA_KEY_BYTES ? message.key : null;
  const index = { topic, partition, offset: message.offset, key: smallKey, reason: reasonOf(reason), error };
  if (Buffer.byteLength(whole) <= MAX_INLINE_BYTES) {
    return {
      message: { key: smallKey, value: whole, headers: message.headers ?? {} },
      index: { ...index, truncated: false },
    };
  }
  const smallHeaders = Buffer.byteLength(JSON.stringify(headers.text)) <= MAX_HEADER_BYTES;
  const valueSha256 = createHash('sha256')
    .update(message.value ?? Buffer.alloc(0))
    .digest('hex');
  const compact = JSON.stringify({
    error,
    topic,
    partition,
    offset: message.offset,
    key: preview(key.text, PREVIEW_LENGTH),
    value: preview(value.text, PREVIEW_LENGTH),
    headers: smallHeaders ? headers.text : {},
    ...encodings,
    ...(smallHeaders && headers.base64 ? { headersEncoding: 'base64' } : {}),
    truncated: true,
    keyBytes: message.key?.length ?? 0,
    valueBytes: message.value?.length ?? 0,
    valueSha256,
    keptIn: 'dead_letter_records',
  });
  return {
    message: { key: smallKey, value: compact, headers: smallHeaders ? (message.headers ?? {}) : {} },
    index: { ...index, truncated: true },
    kept: {
      topic,
      partition,
      offset: message.offset,
      key: message.key,
      value: message.value,
      headers: headers.text,
      valueSha256,
      error,
    },
  };
}
