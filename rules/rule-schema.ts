import { z } from 'zod';
import { parseDuration } from '../platform/duration.js';

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

const level = z.object({
  achievementId: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'lower-case words joined by "-"'),
  target: z.number().int().positive(),
  points: z.number().int().nonnegative(),
  partner: z
    .string()
    .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/)
    .optional(),
  title: localized,
  description: localized,
});

/** One rule file of `catalog/`: what counts, how it is measured, over which window, and its levels. */
export const ruleSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/),
    version: z.number().int().positive(),
    trigger,
    filter: filter.default({}),
    measure,
    window,
    levels: z.array(level).min(1),
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
  });

export type Rule = z.output<typeof ruleSchema>;
export type RuleLevel = Rule['levels'][number];
export type RuleWindow = Rule['window'];
export type RuleMeasure = Rule['measure'];
export type RuleFilter = Rule['filter'];
