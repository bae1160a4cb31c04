import type { z } from 'zod';
import { strictUtf8 } from '../platform/text.js';
import { clientEventSchema, quickTransaction, transactionSchema, type InputEvent } from './events.js';

export type Decoded = { ok: true; event: InputEvent } | { ok: false; error: string };

/** A card transaction or a client event is well under 1 KiB; anything this large is not one. */
const MAX_RECORD_BYTES = 64 * 1024;

function describe(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join('.') || '(record)'}: ${issue.message}`)
    .join('; ');
}

function parseJson(value: Uint8Array | null): { ok: true; json: unknown } | { ok: false; error: string } {
  if (value === null) return { ok: false, error: 'the record has no value' };
  if (value.length > MAX_RECORD_BYTES) {
    return {
      ok: false,
      error: `the value is ${value.length} bytes; an input record may hold at most ${MAX_RECORD_BYTES}`,
    };
  }
  const text = strictUtf8(value);
  if (text === undefined) return { ok: false, error: 'the value is not valid UTF-8' };
  try {
    return { ok: true, json: JSON.parse(text) };
  } catch (error) {
    return { ok: false, error: `not valid JSON: ${(error as Error).message}` };
  }
}

/** The key must be the client id: it is what keeps one client's events in order on one partition. */
function keyMismatch(key: Uint8Array | null, clientId: string): string | undefined {
  if (key === null) return `the record has no key; it must be its clientId "${clientId}"`;
  const actual = strictUtf8(key);
  if (actual === clientId) return undefined;
  return actual === undefined || actual.length > 200
    ? `the record key (${key.length} bytes) is not its clientId "${clientId}"`
    : `the record key "${actual}" is not its clientId "${clientId}"`;
}

/** Which input schema a record follows: `bank.transactions.v1` or `bank.client-events.v1`. */
export type RecordKind = 'transaction' | 'client-event';

/** No card transaction or app action of this engine's clients happened before this. */
const EARLIEST_EVENT_MS = Date.parse('2000-01-01T00:00:00Z');
/** How far an event's time may run ahead of the moment its record was written (clocks and time zones disagree). */
export const MAX_AHEAD_MS = 24 * 3_600_000;

/**
 * Why an event time is impossible (CONTRACT §2), or undefined when it is not: before 2000, or more than 24 h
 * after its record was written to Kafka. Such a time would move the client's horizon and stop every later
 * record from counting, so the record goes to the DLQ instead.
 */
function impossibleTime(time: string, writtenAtMs: number | undefined): string | undefined {
  const timeMs = Date.parse(time);
  if (timeMs < EARLIEST_EVENT_MS) return `impossible time ${time}: before 2000-01-01T00:00:00Z`;
  if (writtenAtMs !== undefined && timeMs > writtenAtMs + MAX_AHEAD_MS) {
    const writtenAt = new Date(writtenAtMs).toISOString();
    return `impossible time ${time}: more than 24 h after the record was written (${writtenAt})`;
  }
  return undefined;
}

/** Validates by `quick` where it is sure (the hot path), else by the schema, which also says what is wrong. */
function validate<T extends { clientId: string; time: string }>(
  schema: z.ZodType<T>,
  quick: (json: unknown) => T | undefined,
  json: unknown,
  key: Uint8Array | null,
  writtenAtMs: number | undefined,
) {
  let data = quick(json);
  if (data === undefined) {
    const result = schema.safeParse(json);
    if (!result.success) return { ok: false as const, error: `schema: ${describe(result.error)}` };
    data = result.data;
  }
  const problem = keyMismatch(key, data.clientId) ?? impossibleTime(data.time, writtenAtMs);
  return problem ? { ok: false as const, error: problem } : { ok: true as const, data };
}

const notSure = () => undefined;

function decodeValid(
  kind: RecordKind,
  key: Uint8Array | null,
  value: Uint8Array | null,
  writtenAtMs: number | undefined,
): Decoded {
  const parsed = parseJson(value);
  if (!parsed.ok) return parsed;
  if (kind === 'transaction') {
    const tx = validate(transactionSchema, quickTransaction, parsed.json, key, writtenAtMs);
    if (!tx.ok) return tx;
    return {
      ok: true,
      event: { type: 'TransactionReceived', clientId: tx.data.clientId, transaction: tx.data },
    };
  }
  const event = validate(clientEventSchema, notSure, parsed.json, key, writtenAtMs);
  if (!event.ok) return event;
  return {
    ok: true,
    event: { type: 'ClientEventReceived', clientId: event.data.clientId, event: event.data },
  };
}

/**
 * Parses and validates one input record, with the time Kafka says it was written (`writtenAtMs`; absent for
 * events that never went through Kafka, as in a simulation). The error says what is wrong so the DLQ entry
 * explains itself. It never throws: whatever a record holds, the answer is a decision about that record alone.
 */
export function decodeRecord(
  kind: RecordKind,
  key: Uint8Array | null,
  value: Uint8Array | null,
  writtenAtMs?: number,
): Decoded {
  try {
    return decodeValid(kind, key, value, writtenAtMs);
  } catch (error) {
    return { ok: false, error: `the record could not be decoded: ${(error as Error).message}` };
  }
}
