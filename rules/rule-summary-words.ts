/**
 * What a rule's summary says in each language (rule-summary.ts builds the sentence): its nouns and their number
 * agreement, its dates, and every phrase, in English and Ukrainian.
 */

export const SUMMARY_LANGUAGES = ['en', 'uk'] as const;
export type SummaryLanguage = (typeof SUMMARY_LANGUAGES)[number];

/** Ukrainian number agreement: 1 покупка, 2 покупки, 5 покупок (21 покупка, 12 покупок). */
function ukForm(n: number, [one, few, many]: readonly [string, string, string]): string {
  const tens = Math.abs(Math.trunc(n)) % 100;
  const units = tens % 10;
  if (units === 1 && tens !== 11) return one;
  if (units >= 2 && units <= 4 && (tens < 12 || tens > 14)) return few;
  return many;
}

/** Digits grouped by thousands as each language writes them: 1,000 and 1 000 (a space that never breaks). */
const grouped = (n: number, separator: string) =>
  String(Math.trunc(Math.abs(n))).replace(/\B(?=(\d{3})+(?!\d))/g, separator);

export type Noun = 'purchase' | 'transfer' | 'transaction' | 'event';

/** Everything a language says; the sentence's shape is the same in both. */
export interface Phrasebook {
  number: (n: number) => string;
  amount: (minor: number) => string;
  /** The words joining the last two of a list: "a, b and c", "a or b". */
  and: string;
  or: string;
  more: (shown: string, left: number) => string;
  /** The noun as it follows the number `n` ("purchases" after 10); `type` names a client event. */
  counted: (noun: Noun, n: number, type: string | undefined) => string;
  plural: (noun: Noun, type: string | undefined) => string;
  first: (noun: Noun, type: string | undefined) => string;
  levelsOf: string;
  /** A composite: how many of the achievements named the client holds ("all" and "any" said so). */
  holding: (targets: string, of: string[], how: 'all' | 'any' | 'some') => string;
  totalling: (plural: string, amounts: string) => string;
  distinct: (plural: string, targets: string, field: string, last: number) => string;
  streak: (plural: string, targets: string, last: number) => string;
  categories: (ids: string, many: boolean) => string;
  merchants: (ids: string, many: boolean) => string;
  currencies: (codes: string, many: boolean) => string;
  countries: (codes: string, many: boolean) => string;
  amountRange: (min: string | undefined, max: string | undefined) => string;
  attribute: (name: string, value: string) => string;
  kinds: (kinds: string[]) => string;
  except: (condition: string) => string;
  anything: string;
  calendar: (unit: string) => string;
  rolling: (n: number, unit: string) => string;
  date: (year: number, month: number, day: number, withYear: boolean) => string;
  between: (start: string, end: string, wholeDays: boolean) => string;
  from: (start: string) => string;
  until: (end: string, wholeDays: boolean) => string;
  weekends: string;
  weekdays: string;
  weekday: (day: string) => string;
  on: (days: string) => string;
  hours: (from: string, to: string) => string;
  repeat: (every: string) => string;
  after: (achievement: string) => string;
  forClients: (conditions: string) => string;
  equals: (name: string, value: string) => string;
  oneOf: (name: string, values: string) => string;
  has: (name: string, exists: boolean) => string;
  segments: (ids: string, many: boolean) => string;
  points: (points: string, last: number) => string;
  partner: (partners: string) => string;
  cap: (points: number, per: string, group: string | undefined) => string;
  budgetUnlocks: (n: number, clients: boolean) => string;
  budgetPoints: (n: number) => string;
  atLimit: (kind: string) => string;
}

const EN_MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const EN_NOUNS: Record<Noun, [string, string]> = {
  purchase: ['purchase', 'purchases'],
  transfer: ['transfer', 'transfers'],
  transaction: ['transaction', 'transactions'],
  event: ['event', 'events'],
};
const EN_DISTINCT: Record<string, string> = {
  country: 'countries',
  merchantId: 'merchants',
  categoryId: 'categories',
  currency: 'currencies',
};
const EN_DURATIONS: Record<string, string> = {
  ms: 'millisecond',
  s: 'second',
  m: 'minute',
  h: 'hour',
  d: 'day',
};
const enNoun = (noun: Noun, many: boolean, type: string | undefined) =>
  `${noun === 'event' && type ? `"${type}" ` : ''}${EN_NOUNS[noun][many ? 1 : 0]}`;
const enPlural = (n: number, word: string) => `${word}${n === 1 ? '' : 's'}`;

const en: Phrasebook = {
  number: (n) => `${n < 0 ? '-' : ''}${grouped(n, ',')}`,
  amount: (minor) =>
    `${minor < 0 ? '-' : ''}${grouped(Math.abs(minor) / 100, ',')}.${String(Math.abs(minor) % 100).padStart(2, '0')}`,
  and: 'and',
  or: 'or',
  more: (shown, left) => `${shown} and ${grouped(left, ',')} more`,
  counted: (noun, n, type) => enNoun(noun, n !== 1, type),
  plural: (noun, type) => enNoun(noun, true, type),
  first: (noun, type) => `a first ${enNoun(noun, false, type)}`,
  levelsOf: 'levels of',
  holding: (targets, of, how) =>
    how === 'all'
      ? `holding all of ${joined(en, of)}`
      : `holding ${how === 'any' ? 'any' : targets} of ${joined(en, of, how === 'any' ? en.or : en.and)}`,
  totalling: (plural, amounts) => `${plural} totalling ${amounts}`,
  distinct: (plural, targets, field) => `${plural} in ${targets} different ${EN_DISTINCT[field]}`,
  streak: (plural, targets, last) => `${plural} on ${targets} ${enPlural(last, 'day')} in a row`,
  categories: (ids, many) => `in ${many ? 'categories' : 'category'} ${ids}`,
  merchants: (ids, many) => `at ${many ? 'merchants' : 'merchant'} ${ids}`,
  currencies: (codes, many) => `in ${many ? 'currencies' : 'currency'} ${codes}`,
  countries: (codes, many) => `in ${many ? 'countries' : 'country'} ${codes}`,
  amountRange: (min, max) =>
    min && max ? `of ${min} to ${max}` : min ? `of at least ${min}` : `of at most ${max}`,
  attribute: (name, value) => `with ${name} = ${value}`,
  kinds: (kinds) => `of kind ${kinds.join(' or ')}`,
  except: (condition) => `except ${condition}`,
  anything: 'anything',
  calendar: (unit) => `in one calendar ${unit}`,
  rolling: (n, unit) => `within ${en.number(n)} ${enPlural(n, EN_DURATIONS[unit]!)}`,
  date: (year, month, day, withYear) => `${day} ${EN_MONTHS[month - 1]}${withYear ? ` ${year}` : ''}`,
  between: (start, end, wholeDays) => `from ${start} ${wholeDays ? 'to' : 'until'} ${end}`,
  from: (start) => `from ${start}`,
  until: (end) => `until ${end}`,
  weekends: 'weekends',
  weekdays: 'weekdays',
  weekday: (day) => day.charAt(0).toUpperCase() + day.slice(1),
  on: (days) => `on ${days}`,
  hours: (from, to) => `between ${from} and ${to}`,
  repeat: (every) =>
    every === 'target' ? 'earned again at each multiple of the target' : `earned again every ${every}`,
  after: (achievement) => `counted from when the client holds ${achievement}`,
  forClients: (conditions) => `for clients ${conditions}`,
  equals: (name, value) => `whose ${name} is ${value}`,
  oneOf: (name, values) => `whose ${name} is one of ${values}`,
  has: (name, exists) => `who ${exists ? 'have' : 'have no'} ${name}`,
  segments: (ids, many) => `in ${many ? 'segments' : 'segment'} ${ids}`,
  points: (points, last) => `${points} ${enPlural(last, 'point')}`,
  partner: (partners) => `and a reward from ${partners}`,
  cap: (points, per, group) =>
    `at most ${en.number(points)} ${enPlural(points, 'point')} a ${per} per client${group ? ` (shared with group ${group})` : ''}`,
  budgetUnlocks: (n, clients) => `at most ${en.number(n)} ${enPlural(n, clients ? 'client' : 'unlock')}`,
  budgetPoints: (n) => `at most ${en.number(n)} ${enPlural(n, 'point')} in all`,
  atLimit: (kind) => (kind === 'close' ? 'then it closes' : 'then unlocks come without points'),
};

/** 1 грудня: the genitive a date takes. */
const UK_MONTHS = [
  'січня',
  'лютого',
  'березня',
  'квітня',
  'травня',
  'червня',
  'липня',
  'серпня',
  'вересня',
  'жовтня',
  'листопада',
  'грудня',
];
/** Each noun's forms: one, few, many; its plural; its "first". */
const UK_NOUNS: Record<Noun, { forms: [string, string, string]; plural: string; first: string }> = {
  purchase: { forms: ['покупка', 'покупки', 'покупок'], plural: 'покупки', first: 'перша покупка' },
  transfer: { forms: ['переказ', 'перекази', 'переказів'], plural: 'перекази', first: 'перший переказ' },
  transaction: {
    forms: ['транзакція', 'транзакції', 'транзакцій'],
    plural: 'транзакції',
    first: 'перша транзакція',
  },
  event: { forms: ['подія', 'події', 'подій'], plural: 'події', first: 'перша подія' },
};
const UK_KINDS: Record<string, string> = { purchase: 'покупка', transfer: 'переказ' };
const UK_DISTINCT: Record<string, string> = {
  country: 'країнах',
  merchantId: 'продавців',
  categoryId: 'категоріях',
  currency: 'валютах',
};
const UK_UNITS: Record<string, string> = {
  day: 'день',
  week: 'тиждень',
  month: 'місяць',
  quarter: 'квартал',
  year: 'рік',
};
const UK_DURATIONS: Record<string, [string, string, string]> = {
  ms: ['мілісекунду', 'мілісекунди', 'мілісекунд'],
  s: ['секунду', 'секунди', 'секунд'],
  m: ['хвилину', 'хвилини', 'хвилин'],
  h: ['годину', 'години', 'годин'],
  d: ['день', 'дні', 'днів'],
};
const UK_WEEKDAYS: Record<string, string> = {
  mon: 'пн',
  tue: 'вт',
  wed: 'ср',
  thu: 'чт',
  fri: 'пт',
  sat: 'сб',
  sun: 'нд',
};
const UK_REPEATS: Record<string, string> = {
  week: 'щотижня',
  month: 'щомісяця',
  quarter: 'щокварталу',
  year: 'щороку',
};
const ukType = (type: string | undefined) => (type ? ` «${type}»` : '');
/** After "не більше": одного клієнта, двох клієнтів — the genitive, singular for one. */
const ukGenitive = (n: number, one: string, many: string) => ukForm(n, [one, many, many]);

const uk: Phrasebook = {
  number: (n) => `${n < 0 ? '-' : ''}${grouped(n, '\u00a0')}`,
  amount: (minor) =>
    `${minor < 0 ? '-' : ''}${grouped(Math.abs(minor) / 100, '\u00a0')},${String(Math.abs(minor) % 100).padStart(2, '0')}`,
  and: 'і',
  or: 'або',
  more: (shown, left) => `${shown} і ще ${grouped(left, '\u00a0')}`,
  counted: (noun, n, type) => `${ukForm(n, UK_NOUNS[noun].forms)}${ukType(type)}`,
  plural: (noun, type) => `${UK_NOUNS[noun].plural}${ukType(type)}`,
  first: (noun, type) => `${UK_NOUNS[noun].first}${ukType(type)}`,
  levelsOf: 'рівні:',
  holding: (targets, of, how) =>
    how === 'all'
      ? `мати всі досягнення ${joined(uk, of)}`
      : `мати ${how === 'any' ? 'будь-яке' : targets} з досягнень ${joined(uk, of, how === 'any' ? uk.or : uk.and)}`,
  totalling: (plural, amounts) => `${plural} на суму ${amounts}`,
  distinct: (plural, targets, field) => `${plural} у ${targets} різних ${UK_DISTINCT[field]}`,
  streak: (plural, targets, last) => `${plural} ${targets} ${ukForm(last, UK_DURATIONS.d!)} поспіль`,
  categories: (ids, many) => `у ${many ? 'категоріях' : 'категорії'} ${ids}`,
  merchants: (ids, many) => `у ${many ? 'продавців' : 'продавця'} ${ids}`,
  currencies: (codes, many) => `у ${many ? 'валютах' : 'валюті'} ${codes}`,
  countries: (codes, many) => `у ${many ? 'країнах' : 'країні'} ${codes}`,
  amountRange: (min, max) => `на суму ${[min && `від ${min}`, max && `до ${max}`].filter(Boolean).join(' ')}`,
  attribute: (name, value) => `з ${name} = ${value}`,
  kinds: (kinds) => `типу ${kinds.map((kind) => UK_KINDS[kind] ?? kind).join(' або ')}`,
  except: (condition) => `не ${condition}`,
  anything: 'будь-що',
  calendar: (unit) => `за один календарний ${UK_UNITS[unit]}`,
  rolling: (n, unit) => `за ${uk.number(n)} ${ukForm(n, UK_DURATIONS[unit]!)}`,
  date: (year, month, day, withYear) => `${day} ${UK_MONTHS[month - 1]}${withYear ? ` ${year}` : ''}`,
  between: (start, end, wholeDays) => `з ${start} ${wholeDays ? 'по' : 'до'} ${end}`,
  from: (start) => `з ${start}`,
  until: (end, wholeDays) => `${wholeDays ? 'по' : 'до'} ${end}`,
  weekends: 'вихідні',
  weekdays: 'будні',
  weekday: (day) => UK_WEEKDAYS[day] ?? day,
  on: (days) => `у ${days}`,
  hours: (from, to) => `з ${from} до ${to}`,
  repeat: (every) =>
    every === 'target'
      ? 'здобувається знову за кожне кратне мети'
      : `здобувається знову ${UK_REPEATS[every]}`,
  after: (achievement) => `зараховується від отримання ${achievement}`,
  forClients: (conditions) => `для клієнтів ${conditions}`,
  equals: (name, value) => `з ${name} = ${value}`,
  oneOf: (name, values) => `з ${name} серед ${values}`,
  has: (name, exists) => `${exists ? 'з' : 'без'} ${name}`,
  segments: (ids, many) => `із ${many ? 'сегментів' : 'сегмента'} ${ids}`,
  points: (points, last) => `${points} ${ukForm(last, ['бал', 'бали', 'балів'])}`,
  partner: (partners) => `і винагорода від ${partners}`,
  cap: (points, per, group) =>
    `не більше ${uk.number(points)} ${ukGenitive(points, 'бала', 'балів')} на ${UK_UNITS[per]} для клієнта${group ? ` (спільно з групою ${group})` : ''}`,
  budgetUnlocks: (n, clients) =>
    `не більше ${uk.number(n)} ${clients ? ukGenitive(n, 'клієнта', 'клієнтів') : ukGenitive(n, 'відкриття', 'відкриттів')}`,
  budgetPoints: (n) => `не більше ${uk.number(n)} ${ukGenitive(n, 'бала', 'балів')} загалом`,
  atLimit: (kind) => (kind === 'close' ? 'далі закривається' : 'далі відкривається без балів'),
};

export const PHRASEBOOKS: Record<SummaryLanguage, Phrasebook> = { en, uk };

/** How many values of a list the sentence names before it says how many more there are. */
const SHOWN_VALUES = 5;

/** "a, b and c" ("a, b, c, d, e and 995 more" for a long list). */
export function joined(words: Phrasebook, values: string[], last = words.and): string {
  if (values.length > SHOWN_VALUES)
    return words.more(values.slice(0, SHOWN_VALUES).join(', '), values.length - SHOWN_VALUES);
  if (values.length <= 1) return values.join('');
  return `${values.slice(0, -1).join(', ')} ${last} ${values.at(-1)}`;
}
