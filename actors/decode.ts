import type { z } from 'zod';
import { clientEventSchema, transactionSchema, type ClientEvent, type Transaction } from './messages.js';

/** An input record that passed its schema, as a past-tense fact. */
export type InputEvent =
  | { type: 'TransactionReceived'; clientId: string; transaction: Transaction }
  | { type: 'ClientEventReceived'; clientId: string; event: ClientEvent };

export type Decoded = { ok: true; event: InputEvent } | { ok: false; error: string };

function describe(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(record)'}: ${issue.message}`).join('; ');
}

function parseJson(value: Buffer | null): { ok: true; json: unknown } | { ok: false; error: string } {
  if (value === null) return { ok: false, error: 'the record has no value' };
  try {
    return { ok: true, json: JSON.parse(value.toString('utf8')) };
  } catch (error) {
    return { ok: false, error: `not valid JSON: ${(error as Error).message}` };
  }
}

/** The key must be the client id: it is what keeps one client's events in order on one partition. */
function keyMismatch(key: Buffer | null, clientId: string): string | undefined {
  const actual = key?.toString('utf8');
  return actual === clientId
    ? undefined
    : `the record key "${actual ?? ''}" is not its clientId "${clientId}"`;
}

/** Which input schema a record follows: `bank.transactions.v1` or `bank.client-events.v1`. */
export type RecordKind = 'transaction' | 'client-event';

function validate<T extends { clientId: string }>(schema: z.ZodType<T>, json: unknown, key: Buffer | null) {
  const result = schema.safeParse(json);
  if (!result.success) return { ok: false as const, error: `schema: ${describe(result.error)}` };
  const mismatch = keyMismatch(key, result.data.clientId);
  return mismatch ? { ok: false as const, error: mismatch } : { ok: true as const, data: result.data };
}

/** Parses and validates one input record; the error says what is wrong so the DLQ entry explains itself. */
export function decodeRecord(kind: RecordKind, key: Buffer | null, value: Buffer | null): Decoded {
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
