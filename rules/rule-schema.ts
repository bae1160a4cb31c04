import { z } from 'zod';
import { parseDuration } from '../platform/duration.js';
import { identifier } from '../platform/text.js';
import { clientEventSchema, transactionSchema, type InputEvent } from './events.js';

/** Localized texts: at least en, uk and he (CONTRACT §3); more languages may be added freely. */
const localized = z
  .record(z.string().regex(/^[a-z]{2}$/), z.string().min(1))
  .refine((texts) => ['en', 'uk', 'he'].every((locale) => locale in texts), {
    message: 'needs texts in en, uk and he at least',
  });

const trigger = z.discriminatedUnion('on', [
  z.object({ on: z.literal('transaction') }),
  z.object({ on: z.literal('client-event'), type: z.string().min(1) }),
]);

const filter = z
  .object({
    // A refund is never counted itself: it takes back what it covers of its purchase (CONTRACT §2).
    kinds: z.array(z.enum(['purchase', 'transfer'])).min(1),
    categoryIds: z.array(z.number().int()).min(1),
    merchantIds: z.array(z.string()).min(1),
    currencies: z.array(z.string().regex(/^[A-Z]{3}$/)).min(1),
    countries: z.array(z.string().regex(/^[A-Z]{2}$/)).min(1),
    amount: z.object({ min: z.number().int().optional(), max: z.number().int().optional() }),
    attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  })
  .partial()
  .strict();

export const DISTINCT_FIELDS = ['country', 'merchantId', 'categoryId', 'currency'] as const;

const measure = z.discriminatedUnion('type', [
  z.object({ type: z.literal('first') }),
  z.object({ type: z.literal('count') }),
  z.object({ type: z.literal('sum'), field: z.literal('amount') }),
  z.object({ type: z.literal('distinct'), field: z.enum(DISTINCT_FIELDS) }),
  z.object({ type: z.literal('streak'), unit: z.literal('day') }),
]);

const duration = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) {
    ctx.addIssue({ code: 'custom', message: `expected a duration like 30d or 12h, got "${text}"` });
    return z.NEVER;
  }
  return ms;
});

const window = z.discriminatedUnion('type', [
  z.object({ type: z.literal('lifetime') }),
  z.object({ type: z.literal('calendar'), unit: z.enum(['day', 'week', 'month']) }),
  z.object({ type: z.literal('rolling'), duration }),
]);

/** Rule, achievement, partner and segment ids: lower-case words joined by "-". */
export const slug = () =>
  z
    .string()
    .max(64)
    .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'lower-case words joined by "-", such as taxi-rider');

const attributeScalar = z.union([z.string().max(200), z.number(), z.boolean()]);

/** A condition on one client attribute (set by `attributes.updated` events, CONTRACT §2). */
const attributeCondition = z.union([
  z.object({ equals: attributeScalar }).strict(),
  z.object({ in: z.array(attributeScalar).min(1).max(1000) }).strict(),
  z.object({ exists: z.boolean() }).strict(),
]);

/**
 * Who a rule is for: every attribute condition holds and, when segments are named, the client is a member of
 * at least one of them. A client outside the audience makes no progress on the rule and does not see it.
 */
const audience = z
  .object({
    attributes: z.record(identifier(64), attributeCondition).optional(),
    segments: z.array(slug()).min(1).max(100).optional(),
  })
  .strict()
  .refine((a) => a.attributes !== undefined || a.segments !== undefined, {
    message: 'name attribute conditions, segments, or both (or leave audience out for everyone)',
  });

const EXAMPLE_CLIENT = 'example-client';

/**
 * An event of an example, in CONTRACT §2's form with defaults filling what rarely matters to a rule: the
 * client, and for a transaction its kind (purchase), currency (UAH) and merchant. An object with `type` is a
 * client event, any other a transaction.
 */
const exampleEvent = z.unknown().transform((value, ctx): InputEvent => {
  const given = typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {};
  const isClientEvent = 'type' in given;
  const defaults = { clientId: EXAMPLE_CLIENT };
  const parsed = isClientEvent
    ? clientEventSchema.safeParse({ ...defaults, ...given })
    : transactionSchema.safeParse({
        ...defaults,
        kind: 'purchase',
        currency: 'UAH',
        merchantId: 'example-merchant',
        ...given,
      });
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path, input: value });
    return z.NEVER;
  }
  return 'type' in parsed.data
    ? { type: 'ClientEventReceived', clientId: parsed.data.clientId, event: parsed.data }
    : { type: 'TransactionReceived', clientId: parsed.data.clientId, transaction: parsed.data };
});

/**
 * One client's events in arrival order, in the short form of examples; events without an id are named by
 * their place: example-1, example-2, …
 */
export const eventsOfOneClient = (max: number) =>
  z.preprocess(
    (events) =>
      Array.isArray(events)
        ? events.map((event: unknown, i) =>
            typeof event === 'object' && event !== null ? { id: `example-${i + 1}`, ...event } : event,
          )
        : events,
    z.array(exampleEvent).min(1).max(max),
  );

/** Given these events (of one client, in arrival order), then these achievements unlock. */
const example = z
  .object({
    name: z.string().min(1).max(200),
    /** The segments the example's client belongs to, for rules with an audience. */
    segments: z.array(slug()).max(100).default([]),
    given: eventsOfOneClient(500),
    then: z
      .object({
        unlocked: z.array(slug()),
        /** The measure after each event, as the app would show it at that event's time. */
        measures: z.array(z.number()).optional(),
      })
      .strict(),
  })
  .strict()
  .refine((ex) => ex.then.measures === undefined || ex.then.measures.length === ex.given.length, {
    message: 'give one measure per event of "given", or leave measures out',
    path: ['then', 'measures'],
  });

const level = z.object({
  achievementId: slug(),
  target: z.number().int().positive(),
  points: z.number().int().nonnegative(),
  partner: slug().optional(),
  title: localized,
  description: localized,
});

/** One rule file of `catalog/`: what counts, how it is measured, over which window, and its levels. */
export const ruleSchema = z
  .object({
    id: slug(),
    version: z.number().int().positive(),
    audience: audience.optional(),
    trigger,
    filter: filter.default({}),
    measure,
    window,
    levels: z.array(level).min(1).max(20),
    examples: z.array(example).max(50).default([]),
  })
  .strict()
  .refine((rule) => rule.levels.every((lvl, i) => i === 0 || lvl.target > rule.levels[i - 1]!.target), {
    message: 'levels must be listed by rising target',
    path: ['levels'],
  })
  .refine((rule) => rule.measure.type !== 'first' || rule.levels.every((lvl) => lvl.target === 1), {
    message: 'a "first" measure unlocks on the first matching event: its target is 1',
    path: ['levels'],
  })
  .refine((rule) => rule.measure.type !== 'streak' || rule.window.type === 'lifetime', {
    message: 'a streak runs over consecutive days wherever they fall: its window is lifetime',
    path: ['window'],
  })
  .superRefine((rule, ctx) => {
    const own = new Set(rule.levels.map((lvl) => lvl.achievementId));
    rule.examples.forEach((ex, i) =>
      ex.then.unlocked.forEach((id, j) => {
        if (!own.has(id))
          ctx.addIssue({
            code: 'custom',
            message: `${id} is not an achievement of this rule; name one of ${[...own].join(', ')}`,
            path: ['examples', i, 'then', 'unlocked', j],
          });
      }),
    );
  });

export type Rule = z.output<typeof ruleSchema>;
export type RuleLevel = Rule['levels'][number];
export type RuleWindow = Rule['window'];
export type RuleMeasure = Rule['measure'];
export type RuleFilter = Rule['filter'];
