import { get, post } from '../api.js';
import { barChart } from '../charts.js';
import { field, h, table } from '../dom.js';
import { t, when } from '../i18n.js';
import { approvalMode, proposeOrRun } from '../proposing.js';

const REASONS = [
  'empty',
  'too-large',
  'encoding',
  'json',
  'schema',
  'key',
  'impossible-time',
  'storage',
  'refused',
  'other',
];

const utf8 = new window.TextDecoder();
const fromBase64 = (text) => utf8.decode(Uint8Array.from(atob(text), (char) => char.charCodeAt(0)));

/**
 * The parts of a DLQ record shown base64 (keys, values, headers that hold NUL or bytes that are not UTF-8) as
 * text, control characters escaped by JSON; undefined when there are none. The record above stays exact.
 */
function decodedParts(record) {
  const parts = {};
  if (record.keyEncoding === 'base64' && record.key !== null) parts.key = fromBase64(record.key);
  if (record.valueEncoding === 'base64' && record.value !== null) parts.value = fromBase64(record.value);
  if (record.headersEncoding === 'base64')
    parts.headers = Object.fromEntries(
      Object.entries(record.headers).map(([name, value]) => [fromBase64(name), fromBase64(value)]),
    );
  const names = Object.keys(parts);
  return names.length === 0
    ? undefined
    : h(
        'details',
        {},
        h('summary', {}, `${names.join(', ')}: base64 → UTF-8`),
        h('pre', {}, JSON.stringify(parts, null, 2)),
      );
}

function redriveText(letter) {
  if (letter.redrive)
    return t(`dlq.status.${letter.redrive.status}`, { refusal: letter.redrive.refusal ?? '' });
  return letter.redrivable ? '' : t('dlq.notRedrivable');
}

/** The DLQ by reason and source, counts over time, an original's value on request, redrive after a fix. */
export async function deadLettersPage({ who, say, report, refresh }) {
  const params = new URLSearchParams(location.hash.split('?')[1] ?? '');
  const reasonFilter = h(
    'select',
    { id: 'dlq-reason' },
    h('option', { value: '' }, t('dlq.any')),
    REASONS.map((reason) => h('option', { value: reason }, reason)),
  );
  reasonFilter.value = params.get('reason') ?? '';
  const topicFilter = h('input', { id: 'dlq-topic', value: params.get('topic') ?? '' });
  const days = h('input', {
    type: 'number',
    min: 1,
    max: 366,
    id: 'dlq-days',
    value: params.get('days') ?? '30',
  });
  const query = new URLSearchParams(
    Object.entries({ reason: reasonFilter.value, topic: topicFilter.value, days: days.value }).filter(
      ([, v]) => v,
    ),
  );
  const [overview, mode] = await Promise.all([get(`/v1/admin/dead-letters?${query}`), approvalMode()]);
  const why = h('input', { id: 'dlq-why', minlength: 3 });
  const original = h('div', { 'aria-live': 'polite', id: 'dlq-original', class: 'card' });
  const chosen = new Set();

  const show = async (id) => {
    try {
      const letter = await get(`/v1/admin/dead-letters/${id}?${new URLSearchParams({ reason: why.value })}`);
      original.replaceChildren(
        h('h2', { tabindex: -1 }, `#${id}`),
        h('pre', {}, JSON.stringify(letter.record, null, 2)),
        decodedParts(letter.record),
      );
      original.querySelector('h2').focus();
    } catch (error) {
      report(error);
    }
  };
  const redrive = async () => {
    try {
      const ids = [...chosen];
      const { ran: result, proposed } = await proposeOrRun(mode, {
        kind: 'dead-letters.redrive',
        action: { ids },
        reason: why.value,
        run: () => post('/v1/admin/dead-letters/redrive', { ids, reason: why.value }),
      });
      if (proposed) return say(t('approvals.proposed', { id: proposed.proposalId }));
      say(
        t('dlq.redriven', {
          redriven: result.redriven.join(', ') || '—',
          refused: result.refused.map((r) => `${r.id} (${r.why})`).join(', ') || '—',
        }),
      );
      refresh();
    } catch (error) {
      report(error);
    }
  };
  const rows = overview.letters.map((letter) => [
    letter.redrivable && who.role === 'admin'
      ? h('input', {
          type: 'checkbox',
          'aria-label': t('dlq.choose', { id: letter.id }),
          onchange: (event) => (event.target.checked ? chosen.add(letter.id) : chosen.delete(letter.id)),
        })
      : '',
    String(letter.id),
    `${letter.topic}/${letter.partition}@${letter.offset}`,
    letter.reason,
    letter.error,
    when(letter.deadAt),
    h('span', { 'data-redrive': letter.redrive?.status ?? '' }, redriveText(letter)),
    h('button', { class: 'plain', onclick: () => show(letter.id) }, `${t('dlq.show')} #${letter.id}`),
  ]);
  return h(
    'div',
    {},
    h('h1', {}, t('dlq.title')),
    h(
      'section',
      {},
      h(
        'form',
        {
          onsubmit: (event) => {
            event.preventDefault();
            location.hash = `#/dead-letters?${new URLSearchParams({ reason: reasonFilter.value, topic: topicFilter.value, days: days.value })}`;
          },
        },
        field(t('dlq.reason'), reasonFilter),
        field(t('dlq.source'), topicFilter),
        field(t('dlq.days'), days),
        h('button', { type: 'submit' }, t('dlq.filter')),
      ),
      barChart(
        t('dlq.perDay'),
        overview.perDay.map(({ day, count }) => ({ label: day.slice(5), value: count })),
      ),
      table(
        t('dlq.title'),
        [t('dlq.reason'), t('dlq.source'), t('dlq.count')],
        overview.byReason.map((row) => [row.reason, row.topic, String(row.count)]),
      ),
    ),
    h(
      'section',
      {},
      field(t('dlq.readReason'), why),
      who.role === 'admin'
        ? h('button', { onclick: redrive }, t(mode === 'single' ? 'dlq.redriveChosen' : 'dlq.proposeRedrive'))
        : null,
      table(
        t('dlq.title'),
        ['', '#', t('dlq.position'), t('dlq.reason'), t('dlq.error'), t('dlq.at'), t('dlq.redrive'), ''],
        rows,
      ),
    ),
    original,
  );
}
