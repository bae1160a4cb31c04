import { z } from 'zod';
import { parseDuration } from '../platform/duration.js';
import { identifier, notReserved, plainText } from '../platform/text.js';
import { clientTextProblem } from './client-text.js';
import { nudgeProblem } from './nudge-points.js';
import { clientEventSchema, eventIdOf, transactionSchema, type InputEvent } from './events.js';
import { heldOnSchema, holdsProblems } from './example-holds.js';

/** How long a text of a rule may be: a push shows about a hundred characters, a card in the app a few lines. */
export const MAX_TITLE_LENGTH = 100;
export const MAX_DESCRIPTION_LENGTH = 300;
const MAX_EXAMPLE_NAME_LENGTH = 200;
/** Languages a level's texts may come in: the bank's three and room for more, not an unbounded map. */
const MAX_LANGUAGES = 20;
/** Values one filter field may list: a category set, a partner's merchants. */
const MAX_FILTER_VALUES = 1_000;

/** A text a client reads: bounded, and none of what client-text.ts keeps from a client's screen. */
const clientText = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .superRefine((text, ctx) => {
      // A text over its bound is refused already; its contents are not worth reading.
      if (text.length > max) return;
      const problem = clientTextProblem(text);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });

/**
 * How a rule's free texts are checked: a new document's strictly, and a stored one's as it was accepted (an
 * earlier build checked less), so every version stays readable; a stored text a client may not read is
 * replaced where the catalog is built (see catalog.ts).
 */
interface TextChecks {
  clientText(max: number): z.ZodType<string>;
  name(max: number): z.ZodType<string>;
}

const NEW_TEXTS: TextChecks = { clientText, name: (max) => plainText(max).min(1) };
const STORED_TEXTS: TextChecks = { clientText: () => z.string(), name: () => z.string() };

/** Localized texts: at least en, uk and he (CONTRACT §3); more languages may be added freely. */
const localized = (text: z.ZodType<string>) =>
  z
    .record(z.string().regex(/^[a-z]{2}$/), text)
    .refine((texts) => ['en', 'uk', 'he'].every((locale) => Object.hasOwn(texts, locale)), {
      message: 'needs texts in en, uk and he at least',
    })
    .refine((texts) => Object.keys(texts).length <= MAX_LANGUAGES, {
      message: `at most ${MAX_LANGUAGES} languages`,
    });

/** An attribute's name as a rule reads it: an id that is not a name every object already has. */
const attributeName = notReserved(identifier(64));

/** Rule, achievement, partner and segment ids: lower-case words joined by "-". */
export const slug = () =>
  notReserved(
    z
      .string()
      .max(64)
      .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'lower-case words joined by "-", such as taxi-rider'),
  );

const trigger = z.discriminatedUnion('on', [
  z.object({ on: z.literal('transaction') }),
  z.object({ on: z.literal('client-event'), type: identifier(64) }),
  // A composite: counts which of these achievements the client holds ("all of", "any 2 of").
  z.object({ on: z.literal('achievements'), of: z.array(slug()).min(1).max(50) }),
]);

/** What a rule's filter says of an event; `not`, `any` and `all` combine filters of the same form. */
export interface RuleFilter {
  kinds?: ('purchase' | 'transfer')[];
  categoryIds?: number[];
  merchantIds?: string[];
  currencies?: string[];
  countries?: string[];
  amount?: { min?: number; max?: number };
  attributes?: Record<string, string | number | boolean>;
  /** Excluded: an event this filter matches is not counted ("every purchase except gambling"). */
  not?: RuleFilter;
  /** At least one of these matches. */
  any?: RuleFilter[];
  /** Every one of these matches (to group conditions under `not` or `any`). */
  all?: RuleFilter[];
}

/** How deep `not`, `any` and `all` may nest: a person reads three levels, not a machine's twenty. */
const MAX_FILTER_DEPTH = 4;

const filterDepth = (filter: RuleFilter): number =>
  1 +
  Math.max(
    0,
    ...[...(filter.not ? [filter.not] : []), ...(filter.any ?? []), ...(filter.all ?? [])].map(filterDepth),
  );

const filter: z.ZodType<RuleFilter> = z
  .object({
    // A refund is never counted itself: it takes back what it covers of its purchase (CONTRACT §2).
    kinds: z.array(z.enum(['purchase', 'transfer'])).min(1),
    categoryIds: z.array(z.number().int()).min(1).max(MAX_FILTER_VALUES),
    merchantIds: z.array(identifier()).min(1).max(MAX_FILTER_VALUES),
    currencies: z
      .array(z.string().regex(/^[A-Z]{3}$/))
      .min(1)
      .max(MAX_FILTER_VALUES),
    countries: z
      .array(z.string().regex(/^[A-Z]{2}$/))
      .min(1)
      .max(MAX_FILTER_VALUES),
    amount: z.object({ min: z.number().int().optional(), max: z.number().int().optional() }),
    attributes: z
      .record(attributeName, z.union([plainText(1_000), z.number(), z.boolean()]))
      .refine((attributes) => Object.keys(attributes).length <= 100, 'at most 100 attributes'),
    get not() {
      return filter;
    },
    get any() {
      return z.array(filter).min(2, 'name two filters or more; one alone is that filter').max(20);
    },
    get all() {
      return z.array(filter).min(2, 'name two filters or more; one alone is that filter').max(20);
    },
  })
  .partial()
  .strict()
  .refine((f) => filterDepth(f) <= MAX_FILTER_DEPTH, {
    message: `not, any and all nest at most ${MAX_FILTER_DEPTH} deep`,
  })
  // Named, so the API's documentation refers to it (it refers to itself) by a name of its own.
  .meta({ id: 'RuleFilter' });

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** A local time of day, HH:MM on a 24-hour clock, as minutes since midnight. */
const timeOfDay = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day such as 07:00 or 21:30')
  .transform((text) => Number(text.slice(0, 2)) * 60 + Number(text.slice(3)));

/**
 * When events count, in event time: within `[startsAt, endsAt)` (either end optional), on the listed days of
 * the week and between the listed hours of the bank's time zone (`from` included, `to` not; `to` before `from`
 * runs past midnight).
 */
const schedule = z
  .object({
    startsAt: z.iso.datetime({ offset: true }).optional(),
    endsAt: z.iso.datetime({ offset: true }).optional(),
    days: z
      .array(z.enum(WEEKDAYS))
      .min(1)
      .max(7)
      .refine((days) => new Set(days).size === days.length, 'name each day once')
      .optional(),
    hours: z
      .object({ from: timeOfDay, to: timeOfDay })
      .strict()
      .refine((hours) => hours.from !== hours.to, {
        message: 'from and to are the same time; leave hours out for the whole day',
      })
      .optional(),
  })
  .strict()
  .refine((s) => Object.keys(s).length > 0, {
    message: 'name startsAt, endsAt, days or hours (or leave schedule out for always)',
  })
  .refine((s) => !s.startsAt || !s.endsAt || Date.parse(s.startsAt) < Date.parse(s.endsAt), {
    message: 'endsAt must come after startsAt',
    path: ['endsAt'],
  });

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

const CALENDAR_UNITS = ['day', 'week', 'month', 'quarter', 'year'] as const;

/**
 * How an achievement is earned again: once in each calendar period of its window (`week` … `year`), or each
 * time its lifetime measure reaches another multiple of the target (`target`). Each earning is an occurrence
 * of its own, with its own unlock, reward and push.
 */
const repeat = z.object({ every: z.enum(['week', 'month', 'quarter', 'year', 'target']) }).strict();

/**
 * At most `points` a client earns from this rule, or from every rule naming the same `group`, per calendar
 * period: an unlock past it still comes, with the points left (maybe none).
 */
const cap = z
  .object({
    points: z.number().int().positive(),
    per: z.enum(CALENDAR_UNITS),
    group: slug().optional(),
  })
  .strict();

/**
 * What the rule may give across all clients, first come in the order the engine commits unlocks: at most
 * `unlocks` unlocks, and at most `points` points in all. At the limit the rule closes (`atLimit: close`: no
 * later unlock is granted, and the app sees it closed) or its unlocks go on without points or partner reward
 * (`without-points`).
 */
const budget = z
  .object({
    unlocks: z.number().int().positive().max(1_000_000_000).optional(),
    points: z.number().int().positive().max(1_000_000_000_000).optional(),
    atLimit: z.enum(['close', 'without-points']),
  })
  .strict()
  .refine((b) => b.unlocks !== undefined || b.points !== undefined, {
    message: 'a budget limits unlocks, points or both: name at least one',
  });

/**
 * A follow-up: the rule counts only events dated at or after the time the client came to hold this other
 * achievement (its unlock; for a repeating one, its first earning), and nothing before the client holds it.
 */
const after = z.object({ achievement: slug() }).strict();

const window = z.discriminatedUnion('type', [
  z.object({ type: z.literal('lifetime') }),
  z.object({ type: z.literal('calendar'), unit: z.enum(CALENDAR_UNITS) }),
  z.object({ type: z.literal('rolling'), duration }),
]);

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
    attributes: z.record(attributeName, attributeCondition).optional(),
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
const exampleWith = (texts: TextChecks) =>
  z
    .object({
      name: texts.name(MAX_EXAMPLE_NAME_LENGTH),
      /** The segments the example's client belongs to, for rules with an audience. */
      segments: z.array(slug()).max(100).default([]),
      given: eventsOfOneClient(500),
      /** What other rules earned the example's client, on which of its events: for composites and follow-ups. */
      holds: heldOnSchema,
      then: z
        .object({
          unlocked: z.array(slug()),
          /** The measure after each event, as the app would show it at that event's time. */
          measures: z.array(z.number()).optional(),
          /** The progress points the events crossed, in order (each a measure a level nudges at). */
          nudged: z.array(z.number()).optional(),
        })
        .strict(),
    })
    .strict()
    .refine((ex) => ex.then.measures === undefined || ex.then.measures.length === ex.given.length, {
      message: 'give one measure per event of "given", or leave measures out',
      path: ['then', 'measures'],
    });

/** How many progress points one level may name: a client is nudged at most 3 times a day anyway. */
const MAX_NUDGES = 3;

/** A progress point at which the client gets one push (nudges.ts): "80%" of the target, or "2 to go". */
const nudge = z.union([
  z.object({ percent: z.number().int().min(1).max(99) }).strict(),
  z.object({ toGo: z.number().int().positive() }).strict(),
]);

const levelWith = (texts: TextChecks) =>
  z.object({
    achievementId: slug(),
    target: z.number().int().positive(),
    points: z.number().int().nonnegative(),
    partner: slug().optional(),
    nudges: z.array(nudge).min(1).max(MAX_NUDGES).optional(),
    title: localized(texts.clientText(MAX_TITLE_LENGTH)),
    description: localized(texts.clientText(MAX_DESCRIPTION_LENGTH)),
  });

/**
 * The paths of every `__proto__` key in a document. zod leaves such a key out of what it parses without a
 * word, and in a rule document that drops a condition: an audience on `__proto__` would target everyone. So a
 * document is refused for one, before the rest of its schema runs.
 */
function protoKeyPaths(value: unknown, path: PropertyKey[] = []): PropertyKey[][] {
  // No field of the rule format nests deeper; what does (an example's attribute value) no rule reads, and a
  // hostile document nested a million deep must not exhaust the stack.
  if (typeof value !== 'object' || value === null || path.length > 16) return [];
  const found = Object.hasOwn(value, '__proto__') ? [[...path, '__proto__']] : [];
  for (const [key, inner] of Object.entries(value)) found.push(...protoKeyPaths(inner, [...path, key]));
  return found;
}

/** A document with its `__proto__` keys refused, each at its path (see `protoKeyPaths`). */
const withoutProtoKeys = <T extends z.ZodType>(schema: T) =>
  z.preprocess((document, ctx) => {
    for (const path of protoKeyPaths(document))
      ctx.addIssue({
        code: 'custom',
        message: '"__proto__" is a name every object already has; choose another',
        path,
      });
    return document;
  }, schema);

/**
 * Why a composite (a rule triggered by the achievements a client holds) does not hold together, or undefined:
 * it counts those held over the client's lifetime, once, with levels no higher than the achievements named.
 */
/** Why a follow-up's `after` does not hold together, or undefined: it names another rule's achievement. */
function followUpProblem(rule: {
  trigger: { on: string };
  after?: { achievement: string };
  levels: { achievementId: string }[];
}): { message: string; path: (string | number)[] } | undefined {
  if (rule.after === undefined) return undefined;
  if (rule.trigger.on === 'achievements')
    return {
      message:
        'a composite counts achievements held, not events dated after one: leave after out, or name the achievement in trigger.of',
      path: ['after'],
    };
  const id = rule.after.achievement;
  if (rule.levels.some((level) => level.achievementId === id))
    return {
      message: `${id} is an achievement of this rule itself; a follow-up starts after another rule's achievement`,
      path: ['after', 'achievement'],
    };
  return undefined;
}

function compositeProblem(rule: {
  trigger: { on: string; of?: string[] };
  measure: { type: string };
  window: { type: string };
  repeat?: unknown;
  schedule?: unknown;
  levels: { achievementId: string; target: number }[];
}): { message: string; path: (string | number)[] } | undefined {
  const of = rule.trigger.of;
  if (of === undefined) return undefined;
  if (rule.measure.type !== 'count' || rule.window.type !== 'lifetime')
    return {
      message: 'a composite counts the achievements held: measure { type: count }, window { type: lifetime }',
      path: ['measure'],
    };
  if (rule.repeat !== undefined || rule.schedule !== undefined)
    return {
      message: 'a composite neither repeats nor has a schedule',
      path: [rule.repeat !== undefined ? 'repeat' : 'schedule'],
    };
  const own = of.findIndex((id) => rule.levels.some((level) => level.achievementId === id));
  if (own >= 0)
    return {
      message: `${of[own]} is an achievement of this rule itself; name others`,
      path: ['trigger', 'of', own],
    };
  if (new Set(of).size !== of.length)
    return { message: 'name each achievement once', path: ['trigger', 'of'] };
  const over = rule.levels.findIndex((level) => level.target > of.length);
  if (over >= 0)
    return {
      message: `a target of ${rule.levels[over]!.target} is more than the ${of.length} achievements named`,
      path: ['levels', over, 'target'],
    };
  return undefined;
}

/** Why a rule's `repeat` does not fit its window and measure, or undefined when it does (or it has none). */
function repeatProblem(rule: {
  repeat?: { every: string } | undefined;
  window: { type: string; unit?: string };
  measure: { type: string };
}): string | undefined {
  const every = rule.repeat?.every;
  if (every === undefined) return undefined;
  if (every === 'target') {
    if (rule.window.type !== 'lifetime')
      return 'a repeat every target counts the lifetime measure: set window to { type: lifetime }';
    if (!['count', 'sum', 'distinct'].includes(rule.measure.type))
      return 'a repeat every target needs a count, sum or distinct measure';
    return undefined;
  }
  if (rule.window.type !== 'calendar' || rule.window.unit !== every)
    return `a repeat every ${every} counts within each calendar ${every}: set window to { type: calendar, unit: ${every} }`;
  return undefined;
}

const ruleSchemaWith = (texts: TextChecks) =>
  z
    .object({
      id: slug(),
      version: z.number().int().positive(),
      audience: audience.optional(),
      trigger,
      filter: filter.default({}),
      schedule: schedule.optional(),
      measure,
      window,
      repeat: repeat.optional(),
      cap: cap.optional(),
      budget: budget.optional(),
      after: after.optional(),
      levels: z.array(levelWith(texts)).min(1).max(20),
      examples: z.array(exampleWith(texts)).max(50).default([]),
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
    .superRefine((rule, ctx) => {
      const problem = repeatProblem(rule);
      if (problem) ctx.addIssue({ code: 'custom', message: problem, path: ['repeat', 'every'] });
      const composite = compositeProblem(rule);
      if (composite) ctx.addIssue({ code: 'custom', ...composite });
      const followUp = followUpProblem(rule);
      if (followUp) ctx.addIssue({ code: 'custom', ...followUp });
      rule.levels.forEach((level, i) => {
        if (rule.cap && level.points > rule.cap.points)
          ctx.addIssue({
            code: 'custom',
            message: `${level.points} points is more than the cap of ${rule.cap.points} a ${rule.cap.per}: no unlock could grant them all`,
            path: ['levels', i, 'points'],
          });
        level.nudges?.forEach((point, j) => {
          const problem = nudgeProblem(point, level.target);
          if (problem)
            ctx.addIssue({
              code: 'custom',
              message: problem,
              path: ['levels', i, 'nudges', j, ...Object.keys(point)],
            });
        });
        if (rule.budget?.points !== undefined && level.points > rule.budget.points)
          ctx.addIssue({
            code: 'custom',
            message: `${level.points} points is more than the budget of ${rule.budget.points} points: no unlock could be granted`,
            path: ['levels', i, 'points'],
          });
      });
    })
    .refine((rule) => rule.measure.type !== 'streak' || rule.window.type === 'lifetime', {
      message: 'a streak runs over consecutive days wherever they fall: its window is lifetime',
      path: ['window'],
    })
    .superRefine((rule, ctx) => {
      const own = new Set(rule.levels.map((lvl) => lvl.achievementId));
      rule.examples.forEach((ex, i) => {
        ex.then.unlocked.forEach((id, j) => {
          if (!own.has(id))
            ctx.addIssue({
              code: 'custom',
              message: `${id} is not an achievement of this rule; name one of ${[...own].join(', ')}`,
              path: ['examples', i, 'then', 'unlocked', j],
            });
        });
        for (const { path, message } of holdsProblems(rule, ex.given.map(eventIdOf), ex.holds))
          ctx.addIssue({ code: 'custom', message, path: ['examples', i, 'holds', ...path] });
      });
    });

/** A rule document as a new version is checked: one rule file of `catalog/`, or one sent to the API. */
export const ruleSchema = withoutProtoKeys(ruleSchemaWith(NEW_TEXTS));

/** A version already stored, read as it was accepted (see `TextChecks`; a `__proto__` key left out, as then). */
export const storedRuleSchema = ruleSchemaWith(STORED_TEXTS);

export type Rule = z.output<typeof ruleSchema>;
export type RuleLevel = Rule['levels'][number];
export type RuleWindow = Rule['window'];
export type RuleMeasure = Rule['measure'];
export type RuleSchedule = NonNullable<Rule['schedule']>;
export type RuleRepeat = NonNullable<Rule['repeat']>;
export type RuleCap = NonNullable<Rule['cap']>;
export type RuleBudget = NonNullable<Rule['budget']>;
export type RuleAfter = NonNullable<Rule['after']>;
export type RuleNudge = NonNullable<RuleLevel['nudges']>[number];
