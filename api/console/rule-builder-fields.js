/**
 * What the rule builder calls each field of a rule document, in English and Ukrainian, by its pattern (its
 * JSON pointer with `*` for an element or a map's value; see rule-builder-schema.js), with a hint where the
 * format is not obvious, the name of a map's keys, and the keys a map starts with. The schema-drift unit test
 * (api/rule-builder-routes.unit.test.ts) fails for a field of the API's schema that has no entry here.
 */
export const FIELDS = {
  '': { en: 'Rule', uk: 'Правило' },
  '/id': {
    en: 'Rule id',
    uk: 'Ідентифікатор правила',
    hint: { en: 'lower-case words joined by "-"', uk: 'малі латинські слова через «-»' },
  },
  '/version': {
    en: 'Version',
    uk: 'Версія',
    hint: { en: 'leave it out: the API gives the next one', uk: 'можна не вказувати: API дасть наступну' },
  },
  '/audience': { en: 'Audience', uk: 'Аудиторія' },
  '/audience/attributes': {
    en: 'Client attributes',
    uk: 'Атрибути клієнта',
    key: { en: 'Attribute', uk: 'Атрибут' },
  },
  '/audience/attributes/*': { en: 'Condition', uk: 'Умова' },
  '/audience/attributes/*/equals': { en: 'Equals', uk: 'Дорівнює' },
  '/audience/attributes/*/in': { en: 'One of', uk: 'Одне з' },
  '/audience/attributes/*/in/*': { en: 'Value', uk: 'Значення' },
  '/audience/attributes/*/exists': { en: 'Is set', uk: 'Задано' },
  '/audience/segments': { en: 'Segments', uk: 'Сегменти' },
  '/audience/segments/*': { en: 'Segment', uk: 'Сегмент' },
  '/trigger': { en: 'Trigger', uk: 'Тригер' },
  '/trigger/on': { en: 'Counts', uk: 'Що рахує' },
  '/trigger/type': {
    en: 'Client event type',
    uk: 'Тип події клієнта',
    hint: { en: 'such as profile.updated', uk: 'наприклад profile.updated' },
  },
  '/trigger/of': { en: 'Achievements held', uk: 'Отримані досягнення' },
  '/trigger/of/*': { en: 'Achievement', uk: 'Досягнення' },
  '/filter': { en: 'Filter', uk: 'Фільтр' },
  '/filter/kinds': { en: 'Kinds', uk: 'Види' },
  '/filter/kinds/*': { en: 'Kind', uk: 'Вид' },
  '/filter/categoryIds': { en: 'Categories (MCC)', uk: 'Категорії (MCC)' },
  '/filter/categoryIds/*': { en: 'Category', uk: 'Категорія' },
  '/filter/merchantIds': { en: 'Merchants', uk: 'Продавці' },
  '/filter/merchantIds/*': { en: 'Merchant', uk: 'Продавець' },
  '/filter/currencies': { en: 'Currencies', uk: 'Валюти' },
  '/filter/currencies/*': {
    en: 'Currency',
    uk: 'Валюта',
    hint: { en: 'ISO 4217, such as UAH', uk: 'ISO 4217, наприклад UAH' },
  },
  '/filter/countries': { en: 'Countries', uk: 'Країни' },
  '/filter/countries/*': {
    en: 'Country',
    uk: 'Країна',
    hint: { en: 'ISO 3166 alpha-2, such as UA', uk: 'ISO 3166 alpha-2, наприклад UA' },
  },
  '/filter/amount': {
    en: 'Amount',
    uk: 'Сума',
    hint: { en: 'in minor units: 10000 is 100.00', uk: 'у копійках: 10000 — це 100,00' },
  },
  '/filter/amount/min': { en: 'At least', uk: 'Щонайменше' },
  '/filter/amount/max': { en: 'At most', uk: 'Щонайбільше' },
  '/filter/attributes': {
    en: 'Event attributes',
    uk: 'Атрибути події',
    key: { en: 'Attribute', uk: 'Атрибут' },
  },
  '/filter/attributes/*': { en: 'Value', uk: 'Значення' },
  '/filter/not': { en: 'Except (not)', uk: 'Крім (not)' },
  '/filter/any': { en: 'Any of (any)', uk: 'Будь-що з (any)' },
  '/filter/any/*': { en: 'Alternative', uk: 'Варіант' },
  '/filter/all': { en: 'All of (all)', uk: 'Усе з (all)' },
  '/filter/all/*': { en: 'Condition', uk: 'Умова' },
  '/schedule': { en: 'Schedule', uk: 'Розклад' },
  '/schedule/startsAt': { en: 'Starts at', uk: 'Починається' },
  '/schedule/endsAt': {
    en: 'Ends at',
    uk: 'Закінчується',
    hint: {
      en: 'not included: 1 Jan 00:00 ends on 31 Dec',
      uk: 'не включно: 1 січня 00:00 — це до 31 грудня',
    },
  },
  '/schedule/days': { en: 'Days of the week', uk: 'Дні тижня' },
  '/schedule/days/*': { en: 'Day', uk: 'День' },
  '/schedule/hours': { en: 'Hours of the day', uk: 'Години доби' },
  '/schedule/hours/from': { en: 'From', uk: 'З' },
  '/schedule/hours/to': { en: 'To (not included)', uk: 'До (не включно)' },
  '/measure': { en: 'Measure', uk: 'Міра' },
  '/measure/type': { en: 'Measure', uk: 'Міра' },
  '/measure/field': { en: 'Of', uk: 'Чого' },
  '/measure/unit': { en: 'Unit', uk: 'Одиниця' },
  '/window': { en: 'Window', uk: 'Вікно' },
  '/window/type': { en: 'Window', uk: 'Вікно' },
  '/window/unit': { en: 'Calendar unit', uk: 'Календарна одиниця' },
  '/window/duration': {
    en: 'Duration',
    uk: 'Тривалість',
    hint: { en: 'such as 30d or 12h', uk: 'наприклад 30d або 12h' },
  },
  '/repeat': { en: 'Repeat', uk: 'Повторення' },
  '/repeat/every': { en: 'Earned again every', uk: 'Здобувається знову щоразу за' },
  '/cap': { en: 'Cap per client', uk: 'Ліміт на клієнта' },
  '/cap/points': { en: 'Points at most', uk: 'Не більше балів' },
  '/cap/per': { en: 'Per', uk: 'За' },
  '/cap/group': {
    en: 'Group',
    uk: 'Група',
    hint: { en: 'rules naming the same group share the cap', uk: 'правила з однією групою ділять ліміт' },
  },
  '/budget': { en: 'Budget', uk: 'Бюджет' },
  '/budget/unlocks': { en: 'Unlocks at most', uk: 'Не більше відкриттів' },
  '/budget/points': { en: 'Points at most', uk: 'Не більше балів' },
  '/budget/atLimit': { en: 'At the limit', uk: 'На межі' },
  '/after': { en: 'Follow-up of', uk: 'Після' },
  '/after/achievement': { en: 'Achievement held first', uk: 'Спершу отримане досягнення' },
  '/levels': { en: 'Levels', uk: 'Рівні' },
  '/levels/*': { en: 'Level', uk: 'Рівень' },
  '/levels/*/achievementId': { en: 'Achievement id', uk: 'Ідентифікатор досягнення' },
  '/levels/*/target': { en: 'Target', uk: 'Мета' },
  '/levels/*/points': { en: 'Points', uk: 'Бали' },
  '/levels/*/partner': { en: 'Partner', uk: 'Партнер' },
  '/levels/*/nudges': { en: 'Nudges', uk: 'Нагадування' },
  '/levels/*/nudges/*': { en: 'Nudge', uk: 'Нагадування' },
  '/levels/*/nudges/*/percent': { en: 'Percent of the target', uk: 'Відсоток мети' },
  '/levels/*/nudges/*/toGo': { en: 'Steps to go', uk: 'Кроків до мети' },
  '/levels/*/title': {
    en: 'Title',
    uk: 'Назва',
    key: { en: 'Language', uk: 'Мова' },
    keys: ['en', 'uk', 'he'],
  },
  '/levels/*/title/*': { en: 'Title', uk: 'Назва' },
  '/levels/*/description': {
    en: 'Description',
    uk: 'Опис',
    key: { en: 'Language', uk: 'Мова' },
    keys: ['en', 'uk', 'he'],
  },
  '/levels/*/description/*': { en: 'Description', uk: 'Опис' },
  '/examples': { en: 'Examples', uk: 'Приклади' },
  '/examples/*': { en: 'Example', uk: 'Приклад' },
  '/examples/*/name': { en: 'Name', uk: 'Назва' },
  '/examples/*/segments': { en: 'Client’s segments', uk: 'Сегменти клієнта' },
  '/examples/*/segments/*': { en: 'Segment', uk: 'Сегмент' },
  '/examples/*/given': { en: 'Given these events', uk: 'Дано такі події' },
  '/examples/*/given/*': { en: 'Event', uk: 'Подія' },
  '/examples/*/given/*/id': {
    en: 'Event id',
    uk: 'Ідентифікатор події',
    hint: { en: 'left out: example-1, example-2 …', uk: 'без нього: example-1, example-2 …' },
  },
  '/examples/*/given/*/clientId': { en: 'Client id', uk: 'Ідентифікатор клієнта' },
  '/examples/*/given/*/kind': { en: 'Kind', uk: 'Вид' },
  '/examples/*/given/*/amount': {
    en: 'Amount (minor units)',
    uk: 'Сума (у копійках)',
  },
  '/examples/*/given/*/currency': { en: 'Currency', uk: 'Валюта' },
  '/examples/*/given/*/time': { en: 'Time', uk: 'Час' },
  '/examples/*/given/*/categoryId': { en: 'Category (MCC)', uk: 'Категорія (MCC)' },
  '/examples/*/given/*/merchantId': { en: 'Merchant', uk: 'Продавець' },
  '/examples/*/given/*/geo': { en: 'Where', uk: 'Де' },
  '/examples/*/given/*/geo/lat': { en: 'Latitude', uk: 'Широта' },
  '/examples/*/given/*/geo/lon': { en: 'Longitude', uk: 'Довгота' },
  '/examples/*/given/*/geo/country': { en: 'Country', uk: 'Країна' },
  '/examples/*/given/*/originalId': { en: 'Purchase refunded (its id)', uk: 'Повернена покупка (її id)' },
  '/examples/*/given/*/type': { en: 'Event type', uk: 'Тип події' },
  '/examples/*/given/*/attributes': {
    en: 'Attributes',
    uk: 'Атрибути',
    key: { en: 'Attribute', uk: 'Атрибут' },
  },
  '/examples/*/given/*/attributes/*': { en: 'Value', uk: 'Значення' },
  '/examples/*/given/*/attributes/*/*': { en: 'Value (JSON)', uk: 'Значення (JSON)' },
  '/examples/*/holds': { en: 'Achievements the client came to hold', uk: 'Досягнення, які клієнт отримав' },
  '/examples/*/holds/*': { en: 'Held', uk: 'Отримане' },
  '/examples/*/holds/*/achievement': { en: 'Achievement', uk: 'Досягнення' },
  '/examples/*/holds/*/on': { en: 'On event (its id)', uk: 'На події (її id)' },
  '/examples/*/then': { en: 'Then', uk: 'Тоді' },
  '/examples/*/then/unlocked': { en: 'Unlocked', uk: 'Відкрито' },
  '/examples/*/then/unlocked/*': { en: 'Achievement', uk: 'Досягнення' },
  '/examples/*/then/measures': { en: 'Measure after each event', uk: 'Міра після кожної події' },
  '/examples/*/then/measures/*': { en: 'Measure', uk: 'Міра' },
  '/examples/*/then/nudged': { en: 'Nudged at', uk: 'Нагадування на' },
  '/examples/*/then/nudged/*': { en: 'Progress point', uk: 'Точка прогресу' },
};

/** What enum values, constants and variants are called, wherever they appear. */
export const OPTIONS = {
  purchase: { en: 'purchase', uk: 'покупка' },
  transfer: { en: 'transfer', uk: 'переказ' },
  refund: { en: 'refund', uk: 'повернення' },
  mon: { en: 'Monday', uk: 'понеділок' },
  tue: { en: 'Tuesday', uk: 'вівторок' },
  wed: { en: 'Wednesday', uk: 'середа' },
  thu: { en: 'Thursday', uk: 'четвер' },
  fri: { en: 'Friday', uk: 'пʼятниця' },
  sat: { en: 'Saturday', uk: 'субота' },
  sun: { en: 'Sunday', uk: 'неділя' },
  day: { en: 'day', uk: 'день' },
  week: { en: 'week', uk: 'тиждень' },
  month: { en: 'month', uk: 'місяць' },
  quarter: { en: 'quarter', uk: 'квартал' },
  year: { en: 'year', uk: 'рік' },
  target: { en: 'multiple of the target', uk: 'кратне мети' },
  close: { en: 'close the rule', uk: 'закрити правило' },
  'without-points': { en: 'unlock without points', uk: 'відкривати без балів' },
  country: { en: 'countries', uk: 'країн' },
  merchantId: { en: 'merchants', uk: 'продавців' },
  categoryId: { en: 'categories', uk: 'категорій' },
  currency: { en: 'currencies', uk: 'валют' },
  amount: { en: 'amount', uk: 'суми' },
  transaction: { en: 'card transactions', uk: 'карткові транзакції' },
  'client-event': { en: 'client events', uk: 'події клієнта' },
  achievements: { en: 'achievements held (composite)', uk: 'отримані досягнення (складене)' },
  first: { en: 'first', uk: 'перша' },
  count: { en: 'count', uk: 'кількість' },
  sum: { en: 'sum', uk: 'сума' },
  distinct: { en: 'distinct', uk: 'різні' },
  streak: { en: 'streak of days', uk: 'дні поспіль' },
  lifetime: { en: 'lifetime', uk: 'за весь час' },
  calendar: { en: 'calendar period', uk: 'календарний період' },
  rolling: { en: 'rolling duration', uk: 'ковзний проміжок' },
  equals: { en: 'equals', uk: 'дорівнює' },
  in: { en: 'is one of', uk: 'одне з' },
  exists: { en: 'is set or not', uk: 'задано чи ні' },
  percent: { en: 'percent of the target', uk: 'відсоток мети' },
  toGo: { en: 'steps to go', uk: 'кроків до мети' },
  string: { en: 'text', uk: 'текст' },
  number: { en: 'number', uk: 'число' },
  boolean: { en: 'yes or no', uk: 'так чи ні' },
  null: { en: 'none (removes it)', uk: 'немає (прибирає)' },
  array: { en: 'list', uk: 'список' },
  object: { en: 'object', uk: 'обʼєкт' },
  'card transaction': { en: 'card transaction', uk: 'карткова транзакція' },
  'client event': { en: 'client event', uk: 'подія клієнта' },
};

/** A field's text in `language` (English where it has none), or a readable form of its last name. */
export function fieldText(pattern, language) {
  const field = FIELDS[pattern];
  if (field) return field[language] ?? field.en;
  const name = pattern.split('/').findLast((token) => token !== '*') ?? '';
  return name.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase() || pattern;
}

/** A field's hint, or undefined. */
export const fieldHint = (pattern, language) => {
  const hint = FIELDS[pattern]?.hint;
  return hint && (hint[language] ?? hint.en);
};

/** What a map's keys are called (a title's: language). */
export function keyText(pattern, language) {
  const key = FIELDS[pattern]?.key;
  return key ? (key[language] ?? key.en) : language === 'uk' ? 'Назва' : 'Name';
}

/** The keys a map starts with: a title in en, uk and he. */
export const presetKeys = (pattern) => FIELDS[pattern]?.keys ?? [];

/** An enum value, a constant or a variant as the owner reads it, or the value itself. */
export const optionText = (value, language) => {
  const option = OPTIONS[value];
  return option ? (option[language] ?? option.en) : String(value);
};
