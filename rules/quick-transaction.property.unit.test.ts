import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validTransaction } from '../test/support/record-arbitraries.js';
import { MAX_AMOUNT, quickTransaction, transactionSchema } from './events.js';

const SEED = Number(process.env.RULES_SEED ?? 20261201);
const RUNS = Number(process.env.RULES_RUNS ?? 20_000);

/** Values a field may hold in a hostile or broken record, JSON's kinds and (mostly) the edges of each check. */
const oddValue = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.constantFrom(
      null,
      '',
      ' ',
      'x'.repeat(128),
      'x'.repeat(129),
      'a\u0000b',
      'a\u202eb',
      '\ud800',
      '☕🍩',
      'UAH',
      'uah',
      'UA',
      'ZZZZ',
      0,
      -0,
      -1,
      1,
      1.5,
      9999,
      10_000,
      MAX_AMOUNT,
      MAX_AMOUNT + 1,
      2 ** 53,
      -90,
      90.0001,
      180,
      true,
      'purchase',
      'refund',
      'transfer',
      '2026-11-24T08:15:00+02:00',
      '2026-11-24T08:15:00Z',
      '2026-11-24T08:15:00',
      '2026-02-29T08:15:00Z',
      '2028-02-29T08:15:00.123456+14:00',
      '2026-11-24 08:15:00+02:00',
    ),
  },
  fc.string({ maxLength: 8 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.array(fc.integer(), { maxLength: 2 }),
  fc.record({
    lat: fc.double({ min: -200, max: 200, noNaN: true }),
    lon: fc.integer(),
    country: fc.string(),
  }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), { maxKeys: 2 }),
  // A place at the edges of each bound, with countries that are and are not codes.
  {
    weight: 4,
    arbitrary: fc.record({
      lat: fc.constantFrom(-90, 90, 90.0001, -90.5, 91, 0, '0'),
      lon: fc.constantFrom(-180, 180, 180.5, -181, 0),
      country: fc.constantFrom('UA', 'PL', 'ua', 'U', 'UAH'),
    }),
  },
);

const FIELDS = [
  'id',
  'clientId',
  'kind',
  'amount',
  'currency',
  'time',
  'categoryId',
  'merchantId',
  'geo',
  'originalId',
];

/** A valid transaction with one field replaced, removed, or an unknown one added, as JSON would carry it. */
const mutated = fc
  .tuple(validTransaction(['c-1', 'c-2']), fc.constantFrom(...FIELDS, 'extra'), oddValue, fc.boolean())
  .map(([tx, field, value, remove]) => {
    const record: Record<string, unknown> = { ...tx };
    if (remove) delete record[field];
    else record[field] = value;
    return JSON.parse(JSON.stringify(record)) as unknown;
  });

describe('quickTransaction, the hot path’s check of bank.transactions.v1, against the zod schema (fast-check)', () => {
  it('accepts only what the schema accepts, as the same transaction', () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.oneof(mutated, validTransaction(['c-1'])), (record) => {
        const quick = quickTransaction(record);
        if (quick === undefined) return;
        accepted++;
        const schema = transactionSchema.safeParse(record);
        expect(schema.success).toBe(true);
        expect(quick).toEqual(schema.data);
      }),
      { seed: SEED, numRuns: RUNS },
    );
    expect(accepted).toBeGreaterThan(RUNS / 10);
  }, 600_000);

  it('is sure of every valid transaction, so the schema is asked only of the odd ones', () => {
    fc.assert(
      fc.property(validTransaction(['c-1', 'c-2']), (record) => {
        const json = JSON.parse(JSON.stringify(record)) as unknown;
        expect(transactionSchema.safeParse(json).success).toBe(true);
        expect(quickTransaction(json)).toEqual(transactionSchema.parse(json));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  }, 600_000);
});
