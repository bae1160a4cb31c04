import { get, post } from '../api.js';
import { barChart } from '../charts.js';
import { field, h, table } from '../dom.js';
import { number, t } from '../i18n.js';

const EVENTS = [
  { amount: 4000, time: '2026-11-02T08:00:00+02:00', categoryId: 5462 },
  { amount: 4000, time: '2026-11-03T08:00:00+02:00', categoryId: 5411 },
  { amount: 4000, time: '2026-11-09T08:00:00+02:00', categoryId: 5462 },
  { amount: 4000, time: '2026-11-16T08:00:00+02:00', categoryId: 5462 },
];

/** `datetime-local` gives local wall time without an offset; the API wants an instant. */
export const instant = (local) => new Date(local).toISOString();

/** An instant as `datetime-local` shows it: the browser's wall time. */
export const wallTime = (ms) => {
  const date = new Date(ms);
  return new Date(ms - date.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};

/**
 * Reads a replay (a dry run or a backfill) at `path` every two seconds, well inside the API's limit per
 * employee, showing each answer, until it is no longer running.
 */
export function followReplay(path, show, report) {
  const tick = async () => {
    try {
      const view = await get(path);
      show(view);
      if (view.status === 'running') setTimeout(tick, 2000);
    } catch (error) {
      report(error);
    }
  };
  return tick();
}

/** Events in, the per-event trace out: the draft run through the engine's own decide(). */
export function simulationPane(draft, report) {
  const events = h('textarea', { rows: 8, spellcheck: 'false', id: 'simulation-events' });
  events.value = JSON.stringify(EVENTS, null, 2);
  const trace = h('div', { 'aria-live': 'polite', id: 'simulation-trace' });
  const run = async () => {
    const rule = draft();
    if (!rule.ok) return report(new Error(rule.error));
    try {
      const result = await post('/v1/admin/rules/simulate', {
        rule: rule.document,
        events: JSON.parse(events.value),
      });
      trace.replaceChildren(
        table(
          t('rules.simulate'),
          [
            t('rules.event'),
            t('rules.time'),
            t('rules.counted'),
            t('rules.why'),
            t('rules.measure'),
            t('rules.unlocked'),
          ],
          result.events.map((event) => [
            event.eventId,
            event.time,
            t(event.counted ? 'common.yes' : 'common.no'),
            event.why,
            String(event.measure),
            event.unlocked.join(', '),
          ]),
        ),
      );
    } catch (error) {
      report(error);
    }
  };
  return h(
    'section',
    {},
    h('h2', {}, t('rules.simulate')),
    field(t('rules.events'), events, 'wide'),
    h('button', { onclick: run }, t('rules.run')),
    trace,
  );
}

/** What the rule's budget has left, and whether the unlocks found would close it. */
function budgetOutlook({ unlocksLeft, pointsLeft, wouldClose }) {
  const left = [
    unlocksLeft !== null && t('rules.budgetUnlocksLeft', { left: number(unlocksLeft) }),
    pointsLeft !== null && t('rules.budgetPointsLeft', { left: number(pointsLeft) }),
  ].filter(Boolean);
  return h(
    'p',
    wouldClose ? { 'data-dry-run-budget': 'closes', class: 'bad' } : { 'data-dry-run-budget': 'fits' },
    `${left.join('; ')}: ${t(wouldClose ? 'rules.budgetWouldClose' : 'rules.budgetFits')}`,
  );
}

function dryRunView(view) {
  const levels = Object.entries(view.clients).map(([id, count]) => ({ label: id, value: count }));
  return h(
    'div',
    {},
    h(
      'p',
      {},
      t('rules.dryRunStatus', {
        status: view.status,
        replayed: view.eventsReplayed,
        total: view.eventsTotal,
      }),
    ),
    h(
      'progress',
      { max: Math.max(1, view.eventsTotal), value: view.eventsReplayed },
      `${view.eventsReplayed}`,
    ),
    h('p', { 'data-dry-run-points': view.points }, t('rules.points', { points: view.points })),
    view.budget ? budgetOutlook(view.budget) : null,
    table(
      t('rules.clientsPerLevel'),
      [t('ach.id'), t('ach.clients')],
      levels.map(({ label, value }) => [label, String(value)]),
    ),
    barChart(t('rules.clientsPerLevel'), levels),
    view.error ? h('p', { class: 'bad' }, view.error) : null,
  );
}

/**
 * The draft over history from a chosen date: nothing is written but the dry run's own result. `options` name
 * the pane and its button otherwise, and add to each view what `more(view, document)` draws (the builder's cost
 * per partner).
 */
export function dryRunPane(draft, who, report, options = {}) {
  const { title = t('rules.dryRun'), startText = t('rules.start'), more } = options;
  const from = h('input', { type: 'datetime-local', id: 'dry-run-from' });
  from.value = wallTime(Date.now() - 30 * 86_400_000);
  const result = h('div', { 'aria-live': 'polite', id: 'dry-run-result' });
  const start = async () => {
    const rule = draft();
    if (!rule.ok) return report(new Error(rule.error));
    try {
      const { dryRunId } = await post('/v1/admin/dry-runs', {
        rule: rule.document,
        from: instant(from.value),
      });
      await followReplay(
        `/v1/admin/dry-runs/${dryRunId}`,
        (view) => result.replaceChildren(dryRunView(view), ...(more ? [more(view, rule.document)] : [])),
        report,
      );
    } catch (error) {
      report(error);
    }
  };
  return h(
    'section',
    {},
    h('h2', {}, title),
    field(t('rules.from'), from),
    who.role === 'admin' ? h('button', { onclick: start }, startText) : null,
    result,
  );
}
