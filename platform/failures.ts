/**
 * Which failures a record's content causes, as opposed to the infrastructure or the deployment. The first kind
 * fails again on every retry, so the record is set aside; the second kind heals (a server comes back, a
 * migration is applied), so the work is retried and the record is kept.
 */

/** SQLSTATE classes PostgreSQL raises for values it refuses: data exceptions, integrity, size limits. */
const REFUSED_DATA_CLASSES = new Set(['22', '23', '54']);

/** Kafka errors that name the records sent, not the broker's health. */
const REFUSED_RECORD_TYPES = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
]);

function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let current = error; current instanceof Error && chain.length < 8; current = current.cause) {
    chain.push(current);
  }
  return chain;
}

function refusedByPostgres(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && REFUSED_DATA_CLASSES.has(code.slice(0, 2));
}

function refusedByKafka(error: unknown): boolean {
  const type = (error as { type?: unknown }).type;
  return typeof type === 'string' && REFUSED_RECORD_TYPES.has(type);
}

/** True when retrying cannot help: PostgreSQL or Kafka refused the content of what was written. */
export function isRecordFault(error: unknown): boolean {
  return causes(error).some((cause) => refusedByPostgres(cause) || refusedByKafka(cause));
}

/** A short description of a failure for a DLQ reason or a log line. */
export function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const { code, type } = error as { code?: unknown; type?: unknown };
  const name = typeof code === 'string' ? code : type;
  return typeof name === 'string' ? `${error.message} (${name})` : error.message;
}
