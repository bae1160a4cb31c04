import fc from 'fast-check';
import { MAX_AMOUNT } from '../../rules/events.js';

/** A raw Kafka record as the fuzzer sends it, labelled with whether the engine must accept it. */
export interface FuzzRecord {
  key: Buffer | null;
  value: Buffer | null;
  valid: boolean;
  /** What kind of input it is, for the note's case counts. */
  label: string;
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

/** Characters no id may hold, each a way real systems have been broken. */
const hostileCharacters = fc.constantFrom(
  '\u0000', // PostgreSQL refuses it in text
  '\u0007',
  '\u001b', // terminal escapes in logs
  '\u007f',
  '\u0085', // C1 next-line
  '\u200b', // zero-width space
  '\u202e', // right-to-left override
  '\u2028', // line separator
  '\ud800', // unpaired high surrogate
  '\udfff', // unpaired low surrogate
  '\ufeff', // byte-order mark
);

/** An id with a hostile character somewhere in it, or one too long to be anyone's. */
const hostileId = fc.oneof(
  fc
    .tuple(fc.string({ maxLength: 8 }), hostileCharacters, fc.string({ maxLength: 8 }))
    .map((parts) => parts.join('')),
  fc.integer({ min: 129, max: 5_000 }).map((length) => 'x'.repeat(length)),
  fc.constant(''),
);

/** Ids that look odd but are fine: any script, emoji, inner spaces, the longest allowed. */
const oddValidId = fc.constantFrom('тх-1', 'עסקה-2', '☕-3', 'tx 4', 'a'.repeat(128), '☕🍩-5');

const time = fc
  .date({ min: new Date('2025-01-01T00:00:00Z'), max: new Date('2026-12-31T00:00:00Z'), noInvalidDate: true })
  .map((date) => date.toISOString());

/** A valid `bank.transactions.v1` value of one of `clients`, with ids drawn from a small pool so some repeat. */
export function validTransaction(clients: string[]) {
  return fc
    .record({
      id: fc.oneof(
        fc.integer({ min: 0, max: 15 }).map((n) => `tx-${n}`),
        oddValidId,
      ),
      clientId: fc.constantFrom(...clients),
      kind: fc.constantFrom('purchase', 'purchase', 'purchase', 'refund', 'transfer'),
      amount: fc.oneof(fc.integer({ min: 1, max: 5_000_000 }), fc.constant(MAX_AMOUNT), fc.constant(1)),
      currency: fc.constantFrom('UAH', 'UAH', 'USD'),
      time,
      categoryId: fc.constantFrom(5814, 5814, 5411, 0, 9999),
      merchantId: fc.oneof(fc.constant('m-1'), oddValidId),
      geo: fc.option(
        fc.record({
          lat: fc.double({ min: -90, max: 90, noNaN: true }),
          lon: fc.double({ min: -180, max: 180, noNaN: true }),
          country: fc.constantFrom('UA', 'PL', 'DE', 'US'),
        }),
        { nil: null },
      ),
      originalId: fc.integer({ min: 0, max: 15 }).map((n) => `tx-${n}`),
    })
    .map((tx) => ({ ...tx, originalId: tx.kind === 'refund' ? tx.originalId : null }));
}

/**
 * A valid `bank.client-events.v1` value, sometimes with deeply nested attributes no rule reads (never on an
 * `attributes.updated` event, whose values are scalars).
 */
export function validClientEvent(clients: string[]) {
  return fc
    .record({
      id: fc.integer({ min: 0, max: 15 }).map((n) => `ev-${n}`),
      clientId: fc.constantFrom(...clients),
      type: fc.constantFrom('profile.updated', 'contacts.synced', 'attributes.updated', 'card.frozen'),
      time,
      attributes: fc.oneof(
        fc.constant({ complete: true }),
        fc.constant({}),
        fc.constant({ city: 'Київ ☕', cardProduct: 'gold', score: 1e308, flag: null }),
        fc.integer({ min: 1, max: 2_000 }).map((depth) => ({
          nested: JSON.parse('['.repeat(depth) + ']'.repeat(depth)) as unknown,
        })),
      ),
    })
    .map((event) =>
      event.type === 'attributes.updated' && 'nested' in event.attributes
        ? { ...event, type: 'card.frozen' }
        : event,
    );
}

const asRecord = (label: string, valid: boolean) => (value: { clientId: string }) =>
  ({ key: Buffer.from(value.clientId), value: json(value), valid, label }) satisfies FuzzRecord;

const badTimes = [
  '2026-13-01T00:00:00Z',
  '2026-02-30T10:00:00Z',
  '2026-11-24T08:15:00',
  12,
  null,
  '',
  '1999-12-31T23:59:59Z',
  '0050-06-01T00:00:00Z',
  '2031-01-01T00:00:00Z',
];

/** Values at and beyond the edges of each numeric or time field, every one of them invalid there. */
const TRANSACTION_EDGES = {
  amount: [0, -1, 1.5, 1e308, -0, 2 ** 53 + 2, MAX_AMOUNT + 1, '12', null, true],
  categoryId: [-1, 1.5, 1e308, 10_000, '12', null, true],
  time: badTimes,
};

const CLIENT_EVENT_EDGES = { time: badTimes, attributes: [[], 'complete', 12] };

/** A record that must go to the DLQ: each kind a way the topic's producers, or an attacker, can break it. */
function hostileRecord(
  valid: fc.Arbitrary<Record<string, unknown> & { clientId: string }>,
  fields: string[],
  edges: Record<string, unknown[]>,
) {
  return fc.oneof(
    fc.tuple(valid, fc.constantFrom(...fields), hostileId).map(([value, field, id]) => {
      const broken = { ...value, [field]: id };
      return {
        key: Buffer.from(String(broken.clientId)),
        value: json(broken),
        valid: false,
        label: `hostile ${field}`,
      };
    }),
    fc.uint8Array({ maxLength: 200 }).map((bytes) => ({
      key: Buffer.from('c-0'),
      value: Buffer.from(bytes),
      valid: false,
      label: 'random bytes',
    })),
    fc
      .tuple(fc.constantFrom('"', '\\', '\u0000'), fc.integer({ min: 65_000, max: 700_000 }))
      .map(([char, n]) => ({
        key: Buffer.from('c-0'),
        value: Buffer.from(char.repeat(n)),
        valid: false,
        label: 'huge value of quotes, backslashes or NUL',
      })),
    fc.integer({ min: 10_000, max: 300_000 }).map((depth) => ({
      key: Buffer.from('c-0'),
      value: Buffer.from('['.repeat(depth) + ']'.repeat(depth)),
      valid: false,
      label: 'deep nesting',
    })),
    fc.tuple(valid, fc.constantFrom(...Object.entries(edges))).chain(([value, [field, values]]) =>
      fc.constantFrom(...values).map((bad) => ({
        key: Buffer.from(value.clientId),
        value: json({ ...value, [field]: bad }),
        valid: false,
        label: `edge ${field}`,
      })),
    ),
    valid.map((value) => ({
      key: Buffer.from(`${value.clientId}-other`),
      value: json(value),
      valid: false,
      label: 'key mismatch',
    })),
    valid.map((value) => ({ key: null, value: json(value), valid: false, label: 'no key' })),
    fc.constant({ key: Buffer.from('c-0'), value: null, valid: false, label: 'no value' }),
    valid.map((value) => {
      const bytes = json(value);
      return {
        key: Buffer.from(value.clientId),
        value: Buffer.concat([bytes.subarray(0, 5), Buffer.from([0xc3, 0x28]), bytes.subarray(5)]),
        valid: false,
        label: 'invalid UTF-8',
      };
    }),
  );
}

/** How a failing case prints: what each record is and how big, not hundreds of kilobytes of bytes. */
const described = (record: FuzzRecord): FuzzRecord =>
  Object.assign(
    { ...record },
    {
      [fc.toStringMethod]: () =>
        `${record.label} (key ${record.key?.length ?? 'null'} B, value ${record.value?.length ?? 'null'} B: ${record.value?.subarray(0, 120).toString('utf8') ?? ''})`,
    },
  );

/** A batch's worth of records for one topic: mostly valid, some hostile, in random order. */
function batchOf(
  valid: fc.Arbitrary<Record<string, unknown> & { clientId: string }>,
  label: string,
  hostile: fc.Arbitrary<FuzzRecord>,
  maxLength: number,
) {
  return fc
    .array(
      fc.oneof({ weight: 3, arbitrary: valid.map(asRecord(label, true)) }, { weight: 2, arbitrary: hostile }),
      { minLength: 1, maxLength },
    )
    .map((records) => records.map(described));
}

export function transactionRecords(clients: string[]) {
  const valid = validTransaction(clients);
  const hostile = hostileRecord(valid, ['id', 'clientId', 'merchantId'], TRANSACTION_EDGES);
  return batchOf(valid, 'valid transaction', hostile, 25);
}

export function clientEventRecords(clients: string[]) {
  const valid = validClientEvent(clients);
  const nonScalarAttribute = valid.map((event) => ({
    key: Buffer.from(event.clientId),
    value: json({ ...event, type: 'attributes.updated', attributes: { cardProduct: { tier: 'gold' } } }),
    valid: false,
    label: 'attributes.updated with a value that is not a string, number or boolean',
  }));
  return batchOf(
    valid,
    'valid client event',
    fc.oneof(hostileRecord(valid, ['id', 'clientId', 'type'], CLIENT_EVENT_EDGES), nonScalarAttribute),
    15,
  );
}
