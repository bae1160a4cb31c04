/**
 * A rule document in one plain sentence, for the person writing it: "10 purchases in category 5814 in one
 * calendar month, from 1 Dec to 24 Dec 2026: 100 points, at most 1,000 clients". It reads drafts too (a field
 * missing or not yet valid is left out of the sentence), so the console can show it as the owner types; it
 * never throws, whatever it is given.
 */

import {
  joined,
  PHRASEBOOKS,
  SUMMARY_LANGUAGES,
  type Noun,
  type Phrasebook,
  type SummaryLanguage,
} from './rule-summary-words.js';

export { SUMMARY_LANGUAGES, type SummaryLanguage };

type Fields = Record<string, unknown>;

const fields = (value: unknown): Fields | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Fields) : undefined;
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const count = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;
const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;
const texts = (value: unknown): string[] => list(value).flatMap((item) => text(item) ?? []);

/** A value a rule names (a category, a merchant, an attribute's value), as it is written. */
function written(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value)?.slice(0, 40) ?? '';
}

const DISTINCT = ['country', 'merchantId', 'categoryId', 'currency'] as const;
const UNITS = ['day', 'week', 'month', 'quarter', 'year'] as const;
const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const DURATION_UNITS = ['ms', 's', 'm', 'h', 'd'] as const;

/** How deep the sentence follows `not`, `any` and `all` (the schema allows 4). */
const MAX_DEPTH = 6;

/** What a filter says of an event, one phrase per condition; `top` leaves its kinds to the noun. */
function conditions(words: Phrasebook, filter: Fields | undefined, depth: number, top: boolean): string[] {
  if (!filter) return [];
  if (depth > MAX_DEPTH) return ['…'];
  const values = (key: string) => list(filter[key]).map(written);
  const named = (key: string, phrase: (ids: string, many: boolean) => string) => {
    const found = values(key);
    return found.length > 0 ? [phrase(joined(words, found), found.length > 1)] : [];
  };
  const kinds = texts(filter.kinds);
  const amount = fields(filter.amount);
  const min = count(amount?.min);
  const max = count(amount?.max);
  const sub = (value: unknown) => {
    const inner = conditions(words, fields(value), depth + 1, false);
    if (inner.length === 0) return words.anything;
    return inner.length === 1 ? inner[0]! : `(${inner.join(` ${words.and} `)})`;
  };
  const group = (key: 'any' | 'all', join: string) => {
    const members = list(filter[key]);
    return members.length > 0 ? [`(${members.map(sub).join(` ${join} `)})`] : [];
  };
  return [
    ...(!top && kinds.length > 0 ? [words.kinds(kinds)] : []),
    ...named('categoryIds', words.categories),
    ...named('merchantIds', words.merchants),
    ...named('currencies', words.currencies),
    ...named('countries', words.countries),
    ...(min !== undefined || max !== undefined
      ? [
          words.amountRange(
            min === undefined ? undefined : words.amount(min),
            max === undefined ? undefined : words.amount(max),
          ),
        ]
      : []),
    ...Object.entries(fields(filter.attributes) ?? {}).map(([name, value]) =>
      words.attribute(name, written(value)),
    ),
    ...(fields(filter.not) ? [words.except(sub(filter.not))] : []),
    ...group('any', words.or),
    ...group('all', words.and),
  ];
}

/** What the event is called: a purchase, a transfer, a transaction (both), or a client event of its type. */
function nounOf(rule: Fields): { noun: Noun; type: string | undefined } {
  const trigger = fields(rule.trigger);
  if (trigger?.on === 'client-event') return { noun: 'event', type: text(trigger.type) };
  const kinds = new Set(texts(fields(rule.filter)?.kinds));
  if (kinds.size === 1 && kinds.has('purchase')) return { noun: 'purchase', type: undefined };
  if (kinds.size === 1 && kinds.has('transfer')) return { noun: 'transfer', type: undefined };
  return { noun: 'transaction', type: undefined };
}

/** What the client does to earn it, with its targets: "10 purchases", "levels of 3, 10 and 25 purchases". */
function measured(words: Phrasebook, rule: Fields, targets: number[]): string {
  const trigger = fields(rule.trigger);
  const shown = joined(words, targets.map(words.number));
  const last = targets.at(-1) ?? 0;
  const prefix = targets.length > 1 ? `${words.levelsOf} ` : '';
  if (trigger?.on === 'achievements') {
    const of = texts(trigger.of);
    const single = targets.length === 1;
    const how = single && last === of.length ? 'all' : single && last === 1 ? 'any' : 'some';
    return words.holding(shown || '…', of, how);
  }
  const { noun, type } = nounOf(rule);
  const measure = fields(rule.measure);
  const plural = words.plural(noun, type);
  switch (measure?.type) {
    case 'first':
      return words.first(noun, type);
    case 'sum':
      return words.totalling(plural, joined(words, targets.map(words.amount)) || '…');
    case 'distinct': {
      const field = DISTINCT.find((known) => known === measure.field) ?? 'country';
      return words.distinct(plural, shown || '…', field, last);
    }
    case 'streak':
      return words.streak(plural, shown || '…', last);
    default:
      return `${prefix}${shown || '…'} ${words.counted(noun, last, type)}`;
  }
}

function windowPhrase(words: Phrasebook, window: Fields | undefined): string | undefined {
  if (window?.type === 'calendar') {
    const unit = UNITS.find((known) => known === window.unit);
    return unit && words.calendar(unit);
  }
  if (window?.type === 'rolling') {
    const match = /^(\d+)(ms|s|m|h|d)$/.exec(text(window.duration) ?? '');
    const unit = DURATION_UNITS.find((known) => known === match?.[2]);
    return match && unit ? words.rolling(Number(match[1]), unit) : undefined;
  }
  return undefined;
}

interface WallTime {
  year: number;
  month: number;
  day: number;
  clock: string;
}

/** A time as its author wrote it (the wall clock in its own offset), or undefined when it is not a time. */
function wallTime(value: unknown): WallTime | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}:\d{2})/.exec(text(value) ?? '');
  if (!match) return undefined;
  return { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]), clock: match[4]! };
}

/** The day before, for an end at midnight (not included): its last day. */
function dayBefore({ year, month, day }: WallTime): WallTime {
  const date = new Date(Date.UTC(year, month - 1, day - 1));
  return {
    year: date.getUTCFullYear(),
    month: date.getUTCMonth() + 1,
    day: date.getUTCDate(),
    clock: '00:00',
  };
}

/** "from 1 Dec to 24 Dec 2026": a campaign of whole days names its last day, any other its times. */
function campaignDates(words: Phrasebook, schedule: Fields): string | undefined {
  const start = wallTime(schedule.startsAt);
  const end = wallTime(schedule.endsAt);
  if (!start && !end) return undefined;
  const wholeDays = [start, end].every((time) => !time || time.clock === '00:00');
  const last = end && (wholeDays ? dayBefore(end) : end);
  const say = (time: WallTime, withYear: boolean) =>
    `${words.date(time.year, time.month, time.day, withYear)}${wholeDays ? '' : ` ${time.clock}`}`;
  if (start && last) {
    const sameYear = wholeDays && start.year === last.year;
    return words.between(say(start, !sameYear), say(last, true), wholeDays);
  }
  return start ? words.from(say(start, true)) : words.until(say(last!, true), wholeDays);
}

function schedulePhrases(words: Phrasebook, schedule: Fields | undefined): string[] {
  if (!schedule) return [];
  const days = WEEKDAYS.filter((day) => texts(schedule.days).includes(day));
  const hours = fields(schedule.hours);
  const from = text(hours?.from);
  const to = text(hours?.to);
  const named = days.join();
  const dayPhrase =
    named === 'sat,sun'
      ? words.weekends
      : named === 'mon,tue,wed,thu,fri'
        ? words.weekdays
        : days.map(words.weekday).join(', ');
  return [
    campaignDates(words, schedule),
    days.length > 0 ? words.on(dayPhrase) : undefined,
    from && to ? words.hours(from, to) : undefined,
  ].filter((phrase): phrase is string => phrase !== undefined);
}

function audiencePhrase(words: Phrasebook, audience: Fields | undefined): string | undefined {
  if (!audience) return undefined;
  const attributes = Object.entries(fields(audience.attributes) ?? {}).flatMap(([name, value]) => {
    const condition = fields(value);
    if (condition && 'equals' in condition) return [words.equals(name, written(condition.equals))];
    if (condition && 'in' in condition)
      return [words.oneOf(name, joined(words, list(condition.in).map(written), words.or))];
    if (condition && typeof condition.exists === 'boolean') return [words.has(name, condition.exists)];
    return [];
  });
  const segments = texts(audience.segments);
  const parts = [
    ...attributes,
    ...(segments.length > 0 ? [words.segments(joined(words, segments, words.or), segments.length > 1)] : []),
  ];
  return parts.length > 0 ? words.forClients(parts.join(` ${words.and} `)) : undefined;
}

/** "100 points and a reward from coffee-house"; a rule of several levels lists each level's points. */
function rewardPhrase(words: Phrasebook, levels: Fields[]): string | undefined {
  const points = levels.flatMap((level) => count(level.points) ?? []);
  const partners = [...new Set(levels.flatMap((level) => text(level.partner) ?? []))];
  const parts = [
    points.length > 0 ? words.points(joined(words, points.map(words.number)), points.at(-1)!) : undefined,
    partners.length > 0 ? words.partner(joined(words, partners)) : undefined,
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(' ') : undefined;
}

function limitPhrases(words: Phrasebook, rule: Fields, levels: Fields[]): string[] {
  const cap = fields(rule.cap);
  const capPoints = count(cap?.points);
  const per = UNITS.find((unit) => unit === cap?.per);
  const budget = fields(rule.budget);
  const unlocks = count(budget?.unlocks);
  const budgetPoints = count(budget?.points);
  // A rule that neither repeats nor has more than one level unlocks once a client: its unlocks are clients.
  const clients = rule.repeat === undefined && levels.length === 1;
  const limits = [
    unlocks !== undefined ? words.budgetUnlocks(unlocks, clients) : undefined,
    budgetPoints !== undefined ? words.budgetPoints(budgetPoints) : undefined,
  ].filter((phrase): phrase is string => phrase !== undefined);
  const atLimit = text(budget?.atLimit);
  return [
    ...(capPoints !== undefined && per ? [words.cap(capPoints, per, text(cap?.group))] : []),
    ...(limits.length > 0 ? [limits.join(` ${words.and} `)] : []),
    ...(limits.length > 0 && (atLimit === 'close' || atLimit === 'without-points')
      ? [words.atLimit(atLimit)]
      : []),
  ];
}

/** The rule document (a draft too) in one sentence, in English or Ukrainian. */
export function summarizeRule(document: unknown, language: SummaryLanguage): string {
  const words = PHRASEBOOKS[language];
  const rule = fields(document) ?? {};
  const levels = list(rule.levels)
    .map(fields)
    .filter((level): level is Fields => level !== undefined);
  const targets = levels.map((level) => count(level.target)).filter((target) => target !== undefined);
  const composite = fields(rule.trigger)?.on === 'achievements';
  const head = [
    measured(words, rule, targets),
    ...(composite ? [] : conditions(words, fields(rule.filter), 0, true)),
    composite ? undefined : windowPhrase(words, fields(rule.window)),
  ].filter(Boolean);
  const repeat = text(fields(rule.repeat)?.every);
  const after = text(fields(rule.after)?.achievement);
  const terms = [
    ...schedulePhrases(words, fields(rule.schedule)),
    repeat && words.repeat(repeat),
    after && words.after(after),
    audiencePhrase(words, fields(rule.audience)),
  ].filter(Boolean);
  const reward = rewardPhrase(words, levels);
  const limits = limitPhrases(words, rule, levels);
  return [
    [head.join(' '), ...terms].join(', '),
    reward ? `: ${reward}` : '',
    limits.length > 0 ? `, ${limits.join(', ')}` : '',
  ].join('');
}
