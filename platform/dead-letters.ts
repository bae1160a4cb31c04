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
}

/** The `achievements.dlq.v1` record, the original to keep when it was too large to copy whole, and its index. */
export interface DeadLetter {
  message: Message;
  kept?: KeptRecord;
  index: IndexedLetter;
}

/** What kind of fault set a record aside: the console counts dead letters by it. */
export type DeadLetterReason =
  'empty' | 'too-large' | 'encoding' | 'json' | 'schema' | 'key' | 'impossible-time' | 'storage' | 'other';

const REASONS: [RegExp, DeadLetterReason][] = [
  [/^the record has no value/, 'empty'],
  [/^the value is \d+ bytes/, 'too-large'],
  [/^the value is not valid UTF-8/, 'encoding'],
  [/^not valid JSON/, 'json'],
  [/^schema:/, 'schema'],
  [/^the record (has no key|key)/, 'key'],
  [/^impossible time/, 'impossible-time'],
  [/^the engine could not store/, 'storage'],
];

/** The class of a dead letter's error, as the engine words them (rules/decode.ts, actors/batch.ts). */
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

function headersAsText(headers: IHeaders | undefined): Record<string, string> {
  const text: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value !== undefined) text[name] = Array.isArray(value) ? value.map(String).join(',') : String(value);
  }
  return text;
}

/** Bytes as the DLQ shows them: the text when they are UTF-8, base64 otherwise (and says which). */
function asText(bytes: Buffer | null): { text: string | null; base64: boolean } {
  if (bytes === null) return { text: null, base64: false };
  const text = strictUtf8(bytes);
  return text === undefined ? { text: bytes.toString('base64'), base64: true } : { text, base64: false };
}

/** The first `length` characters, never ending inside a surrogate pair. */
function preview(text: string | null, length: number): string | null {
  if (text === null || text.length <= length) return text;
  const cut = text.slice(0, length);
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
}

/**
 * The `achievements.dlq.v1` record for a record the engine could not accept (CONTRACT §2): the original key,
 * value as a string and headers, the reason, and where it came from so it can be found and replayed. An
 * original too large to copy whole is kept (see `KeptRecord`) and the DLQ record names its size and SHA-256.
 */
export function deadLetter({ topic, partition, message }: DeadLetterSource, reason: string): DeadLetter {
  const error = printable(preview(reason, MAX_ERROR_LENGTH)!);
  const key = asText(message.key);
  const value = asText(message.value);
  const headers = headersAsText(message.headers);
  const whole = JSON.stringify({
    error,
    topic,
    partition,
    offset: message.offset,
    key: key.text,
    value: value.text,
    headers,
    ...(key.base64 ? { keyEncoding: 'base64' } : {}),
    ...(value.base64 ? { valueEncoding: 'base64' } : {}),
  });
  const smallKey = (message.key?.length ?? 0) <= MAX_KAFKA_KEY_BYTES ? message.key : null;
  const index = { topic, partition, offset: message.offset, key: smallKey, reason: reasonOf(reason), error };
  if (Buffer.byteLength(whole) <= MAX_INLINE_BYTES) {
    return { message: { key: smallKey, value: whole, headers: message.headers ?? {} }, index };
  }
  const smallHeaders = Buffer.byteLength(JSON.stringify(headers)) <= MAX_HEADER_BYTES;
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
    headers: smallHeaders ? headers : {},
    ...(key.base64 ? { keyEncoding: 'base64' } : {}),
    ...(value.base64 ? { valueEncoding: 'base64' } : {}),
    truncated: true,
    keyBytes: message.key?.length ?? 0,
    valueBytes: message.value?.length ?? 0,
    valueSha256,
    keptIn: 'dead_letter_records',
  });
  return {
    message: { key: smallKey, value: compact, headers: smallHeaders ? (message.headers ?? {}) : {} },
    index,
    kept: {
      topic,
      partition,
      offset: message.offset,
      key: message.key,
      value: message.value,
      headers,
      valueSha256,
      error,
    },
  };
}
