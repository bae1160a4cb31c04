import { z } from 'zod';
import { identifier, isIdentifier, plainText } from '../platform/text.js';

/** An ISO 8601 instant with an explicit offset or Z, as CONTRACT §2 requires for event time. */
const eventTime = z.iso.datetime({ offset: true });

/**
 * The largest amount one card transaction may carry, in minor units (a billion in major units). Far above any
 * real purchase, and small enough that sums over millions of them stay exact in a JavaScript number.
 */
export const MAX_AMOUNT = 100_000_000_000;

/** `bank.transactions.v1` (CONTRACT §2). */
export const transactionSchema = z
  .object({
    id: identifier(),
    clientId: identifier(),
    kind: z.enum(['purchase', 'refund', 'transfer']),
    amount: z.number().int().positive().max(MAX_AMOUNT),
    currency: z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 code such as UAH'),
    time: eventTime,
    categoryId: z.number().int().min(0).max(9999),
    merchantId: identifier(),
    geo: z
      .object({
        lat: z.number().min(-90).max(90),
        lon: z.number().min(-180).max(180),
        country: z.string().regex(/^[A-Z]{2}$/, 'expected an ISO 3166 alpha-2 code such as UA'),
      })
      .nullish(),
    originalId: identifier().nullish(),
  })
  .refine((tx) => tx.kind !== 'refund' || Boolean(tx.originalId), {
    message: 'a refund must name the purchase it reverses in originalId',
    path: ['originalId'],
  });

/**
 * An attribute value rules can match on. Strings are bounded and printable; other shapes are kept as sent,
 * since `type` is open-ended and no rule reads inside them.
 */
const attributeValue = z.union([
  plainText(1_000),
  z.number(),
  z.boolean(),
  z.null(),
  z.array(z.unknown()),
  z.record(z.string(), z.unknown()),
]);

/** The event type that sets the client attributes targeting segments read (CONTRACT §2). */
export const ATTRIBUTES_UPDATED = 'attributes.updated';

/** What an attribute a rule's audience reads may hold; `null` removes it. */
export const MAX_CLIENT_ATTRIBUTE_LENGTH = 200;
const clientAttribute = z.union([plainText(MAX_CLIENT_ATTRIBUTE_LENGTH), z.number(), z.boolean(), z.null()]);

/** `bank.client-events.v1` (CONTRACT §2); `type` is open-ended. */
export const clientEventSchema = z
  .object({
    id: identifier(),
    clientId: identifier(),
    type: identifier(64),
    time: eventTime,
    attributes: z
      .record(identifier(64), attributeValue)
      .refine((attributes) => Object.keys(attributes).length <= 100, 'at most 100 attributes')
      .default({}),
  })
  .superRefine((event, ctx) => {
    if (event.type !== ATTRIBUTES_UPDATED) return;
    for (const [name, value] of Object.entries(event.attributes)) {
      if (!clientAttribute.safeParse(value).success)
        ctx.addIssue({
          code: 'custom',
          message: `an attribute is a string of at most ${MAX_CLIENT_ATTRIBUTE_LENGTH} characters, a number, a boolean, or null to remove it`,
          path: ['attributes', name],
        });
    }
  });

export type Transaction = z.output<typeof transactionSchema>;

const CURRENCY = /^[A-Z]{3}$/;
const COUNTRY = /^[A-Z]{2}$/;
/** zod's own pattern of an ISO 8601 time with an offset, so both checks agree on every string. */
const EVENT_TIME = eventTime._zod.def.pattern!;

const isInteger = (value: unknown, min: number, max: number): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max;
const isWithin = (value: unknown, min: number, max: number): value is number =>
  typeof value === 'number' && value >= min && value <= max;

function quickGeo(geo: unknown): Transaction['geo'] | false {
  if (geo === undefined || geo === null) return geo;
  if (typeof geo !== 'object' || Array.isArray(geo)) return false;
  const { lat, lon, country } = geo as Record<string, unknown>;
  if (!isWithin(lat, -90, 90) || !isWithin(lon, -180, 180)) return false;
  return typeof country === 'string' && COUNTRY.test(country) ? { lat, lon, country } : false;
}

/**
 * A `bank.transactions.v1` value checked without zod, for the hot path: what it accepts, `transactionSchema`
 * accepts as the same transaction (a property test holds them to it). Undefined means "not sure": the caller
 * asks zod, which also says what is wrong with a value it refuses.
 */
export function quickTransaction(json: unknown): Transaction | undefined {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const { id, clientId, kind, amount, currency, time, categoryId, merchantId, geo, originalId } =
    json as Record<string, unknown>;
  if (!isIdentifier(id) || !isIdentifier(clientId) || !isIdentifier(merchantId)) return undefined;
  if (kind !== 'purchase' && kind !== 'refund' && kind !== 'transfer') return undefined;
  if (!isInteger(amount, 1, MAX_AMOUNT) || !isInteger(categoryId, 0, 9999)) return undefined;
  if (typeof currency !== 'string' || !CURRENCY.test(currency)) return undefined;
  if (typeof time !== 'string' || !EVENT_TIME.test(time)) return undefined;
  if (!(originalId === undefined || originalId === null || isIdentifier(originalId))) return undefined;
  if (kind === 'refund' && !originalId) return undefined;
  const place = quickGeo(geo);
  if (place === false) return undefined;
  return { id, clientId, kind, amount, currency, time, categoryId, merchantId, geo: place, originalId };
}
export type ClientEvent = z.output<typeof clientEventSchema>;

/** An input record that passed its schema, as a past-tense fact. */
export type InputEvent =
  | { type: 'TransactionReceived'; clientId: string; transaction: Transaction }
  | { type: 'ClientEventReceived'; clientId: string; event: ClientEvent };

/** When the event happened, in event time (ms). */
export const eventTimeMs = (event: InputEvent) =>
  Date.parse(event.type === 'TransactionReceived' ? event.transaction.time : event.event.time);

/** An event's id, of a transaction or a client event alike. */
export const eventIdOf = (event: InputEvent) =>
  event.type === 'TransactionReceived' ? event.transaction.id : event.event.id;
