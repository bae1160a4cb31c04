import { z } from 'zod';

/** An ISO 8601 instant with an explicit offset or Z, as CONTRACT §2 requires for event time. */
const eventTime = z.iso.datetime({ offset: true });

/** `bank.transactions.v1` (CONTRACT §2). */
export const transactionSchema = z
  .object({
    id: z.string().min(1),
    clientId: z.string().min(1),
    kind: z.enum(['purchase', 'refund', 'transfer']),
    amount: z.number().int().positive(),
    currency: z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 code such as UAH'),
    time: eventTime,
    categoryId: z.number().int().min(0).max(9999),
    merchantId: z.string().min(1),
    geo: z
      .object({
        lat: z.number().min(-90).max(90),
        lon: z.number().min(-180).max(180),
        country: z.string().regex(/^[A-Z]{2}$/, 'expected an ISO 3166 alpha-2 code such as UA'),
      })
      .nullish(),
    originalId: z.string().min(1).nullish(),
  })
  .refine((tx) => tx.kind !== 'refund' || Boolean(tx.originalId), {
    message: 'a refund must name the purchase it reverses in originalId',
    path: ['originalId'],
  });

/** `bank.client-events.v1` (CONTRACT §2); `type` is open-ended. */
export const clientEventSchema = z.object({
  id: z.string().min(1),
  clientId: z.string().min(1),
  type: z.string().min(1),
  time: eventTime,
  attributes: z.record(z.string(), z.unknown()).default({}),
});

export type Transaction = z.output<typeof transactionSchema>;
export type ClientEvent = z.output<typeof clientEventSchema>;
