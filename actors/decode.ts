import type { z } from 'zod';
import { TOPICS } from '../platform/topics.js';
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

/** Parses and validates one input record; the error says what is wrong so the DLQ entry explains itself. */
export function decodeRecord(topic: string, key: Buffer | null, value: Buffer | null): Decoded {
  const parsed = parseJson(value);
  if (!parsed.ok) return parsed;
  if (topic === TOPICS.transactions) {
    const result = transactionSchema.safeParse(parsed.json);
    if (!result.success) return { ok: false, error: `schema: ${describe(result.error)}` };
    const mismatch = keyMismatch(key, result.data.clientId);
    if (mismatch) return { ok: false, error: mismatch };
    return {
      ok: true,
      event: { type: 'TransactionReceived', clientId: result.data.clientId, transaction: result.data },
    };
  }
  if (topic === TOPICS.clientEvents) {
    const result = clientEventSchema.safeParse(parsed.json);
    if (!result.success) return { ok: false, error: `schema: ${describe(result.error)}` };
    const mismatch = keyMismatch(key, result.data.clientId);
    if (mismatch) return { ok: false, error: mismatch };
    return {
      ok: true,
      event: { type: 'ClientEventReceived', clientId: result.data.clientId, event: result.data },
    };
  }
  return { ok: false, error: `the engine does not read topic ${topic}` };
}
