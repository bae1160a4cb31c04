import type { z } from 'zod';
import { strictUtf8 } from '../platform/text.js';
import { clientEventSchema, transactionSchema, type ClientEvent, type Transaction } from './events.js';

/** An input record that passed its schema, as a past-tense fact. */
export type InputEvent =
  | { type: 'TransactionReceived'; clientId: string; transaction: Transaction }
  | { type: 'ClientEventReceived'; clientId: string; event: ClientEvent };

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

function validate<T extends { clientId: string }>(
  schema: z.ZodType<T>,
  json: unknown,
  key: Uint8Array | null,
) {
  const result = schema.safeParse(json);
  if (!result.success) return { ok: false as const, error: `schema: ${describe(result.error)}` };
  const mismatch = keyMismatch(key, result.data.clientId);
  return mismatch ? { ok: false as const, error: mismatch } : { ok: true as const, data: result.data };
}

function decodeValid(kind: RecordKind, key: Uint8Array | null, value: Uint8Array | null): Decoded {
  const parsed = parseJson(value);
  if (!parsed.ok) return parsed;
  if (kind === 'transaction') {
    const tx = validate(transactionSchema, parsed.json, key);
    if (!tx.ok) return tx;
    return {
      ok: true,
      event: { type: 'TransactionReceived', clientId: tx.data.clientId, transaction: tx.data },
    };
  }
  const event = validate(clientEventSchema, parsed.json, key);
  if (!event.ok) return event;
  return {
    ok: true,
    event: { type: 'ClientEventReceived', clientId: event.data.clientId, event: event.data },
  };
}

/**
 * Parses and validates one input record; the error says what is wrong so the DLQ entry explains itself.
 * It never throws: whatever a record holds, the answer is a decision about that record alone.
 */
export function decodeRecord(kind: RecordKind, key: Uint8Array | null, value: Uint8Array | null): Decoded {
  try {
    return decodeValid(kind, key, value);
  } catch (error) {
    return { ok: false, error: `the record could not be decoded: ${(error as Error).message}` };
  }
}
