import { h } from './dom.js';
import { locale, number, t, when } from './i18n.js';

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const DAY_MS = 86_400_000;

/** A time of the document as its author wrote it: the wall clock in its own offset, whatever the reader's zone. */
const asWritten = (iso) => new Date(`${iso.slice(0, 16)}Z`);
const atMidnight = (date) => date.getUTCHours() === 0 && date.getUTCMinutes() === 0;

/** `startsAt` (included) to `endsAt` (not): a campaign of whole days names its last day, any other its end. */
function campaignWindow({ startsAt, endsAt }) {
  const start = startsAt && asWritten(startsAt);
  const end = endsAt && asWritten(endsAt);
  const wholeDays = [start, end].every((time) => !time || atMidnight(time));
  const format = new Intl.DateTimeFormat(locale(), {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    timeZone: 'UTC',
    ...(wholeDays ? {} : { hour: '2-digit', minute: '2-digit' }),
  });
  const last = end && (wholeDays ? new Date(end.getTime() - DAY_MS) : end);
  if (start && last) return format.formatRange(start, last);
  return start
    ? t('terms.from', { date: format.format(start) })
    : t('terms.until', { date: format.format(last) });
}

function weekdays(days) {
  const named = WEEKDAYS.filter((day) => days.includes(day));
  if (named.join() === 'sat,sun') return t('terms.weekends');
  if (named.join() === 'mon,tue,wed,thu,fri') return t('terms.weekdays');
  // 1 January 2024 was a Monday.
  const name = new Intl.DateTimeFormat(locale(), { weekday: 'short', timeZone: 'UTC' });
  return named.map((day) => name.format(Date.UTC(2024, 0, 1 + WEEKDAYS.indexOf(day)))).join(', ');
}

/** "1–24 Dec 2026, weekends 07:00–10:00". */
function scheduleTerm(schedule) {
  const { days, hours } = schedule;
  const times = [days && weekdays(days), hours && `${hours.from}–${hours.to}`].filter(Boolean).join(' ');
  const window = (schedule.startsAt || schedule.endsAt) && campaignWindow(schedule);
  return [window, times].filter(Boolean).join(', ');
}

function capTerm({ points, per, group }) {
  const cap = { points: number(points), per: t(`terms.per.${per}`), group };
  return t(group ? 'terms.capGroup' : 'terms.cap', cap);
}

/** Each limit of the budget with what the live version has given (`standing`, null when none is live). */
function budgetTerm(budget, standing) {
  const limits = ['unlocks', 'points'].filter((kind) => budget[kind] !== undefined);
  const lines = limits.map((kind) => {
    const limit = budget[kind];
    if (!standing) return h('div', {}, t(`terms.budget.${kind}`, { limit: number(limit) }));
    const spent = standing[kind === 'unlocks' ? 'unlocksSpent' : 'pointsSpent'];
    const given = t(`terms.given.${kind}`, { spent: number(spent), limit: number(limit) });
    const text = standing.closedAt
      ? given
      : `${given} — ${t('terms.left', { left: number(Math.max(0, limit - spent)) })}`;
    return h(
      'div',
      { 'data-budget': kind },
      text,
      ' ',
      h('progress', { max: limit, value: Math.min(spent, limit), 'aria-label': text }),
    );
  });
  const end = standing?.closedAt
    ? h('div', { class: 'bad' }, t('terms.closed', { at: when(standing.closedAt) }))
    : h('div', { class: 'muted' }, t(`terms.atLimit.${budget.atLimit}`));
  return [...lines, end];
}

/** The document of a listed rule's live version (`GET /v1/admin/rules`), or undefined while none is live. */
export const liveDocument = (rule) =>
  rule.versions.find((version) => version.version === rule.active?.version)?.document;

/**
 * A rule document's campaign terms in short sentences (its window, days and hours, repetition, cap, budget,
 * follow-up and composite), the budget with what the live version has given; null for a rule with none.
 */
export function campaignTerms(document, standing) {
  const { schedule, repeat, cap, budget, after, trigger, levels } = document;
  const terms = [
    ['schedule', schedule && scheduleTerm(schedule)],
    ['repeat', repeat && t(`terms.repeat.${repeat.every}`)],
    ['cap', cap && capTerm(cap)],
    ['budget', budget && budgetTerm(budget, standing)],
    ['after', after && t('terms.after', { achievement: after.achievement })],
    [
      'composite',
      trigger.on === 'achievements' &&
        t('terms.composite', {
          count: [...new Set(levels.map((level) => level.target))].join(' / '),
          achievements: trigger.of.join(', '),
        }),
    ],
  ].filter(([, term]) => term);
  if (terms.length === 0) return null;
  return h(
    'ul',
    { class: 'terms' },
    terms.map(([kind, term]) => h('li', { 'data-term': kind }, term)),
  );
}
