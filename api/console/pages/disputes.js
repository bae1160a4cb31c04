import { get } from '../api.js';
import { field, h, table } from '../dom.js';
import { t } from '../i18n.js';

/** A client's achievement explained: its state, its window, and why each event did or did not count. */
export async function disputesPage({ report }) {
  const catalog = await get('/v1/catalog');
  const client = h('input', { required: true, id: 'dispute-client', autocomplete: 'off' });
  const achievement = h(
    'select',
    { id: 'dispute-achievement' },
    catalog.achievements.map((a) => h('option', { value: a.id }, `${a.title} (${a.id})`)),
  );
  const reason = h('input', { required: true, minlength: 3, id: 'dispute-reason' });
  const result = h('div', { 'aria-live': 'polite', id: 'dispute-result' });
  const explain = async (event) => {
    event.preventDefault();
    try {
      const query = new URLSearchParams({ reason: reason.value });
      const view = await get(
        `/v1/admin/clients/${encodeURIComponent(client.value)}/achievements/${encodeURIComponent(achievement.value)}/explain?${query}`,
      );
      result.replaceChildren(
        h(
          'p',
          { 'data-unlocked': String(view.state.unlocked) },
          t('disputes.state', {
            unlocked: t(view.state.unlocked ? 'common.yes' : 'common.no'),
            current: view.state.progress.current,
            target: view.state.progress.target,
          }),
        ),
        h('pre', {}, JSON.stringify(view.rule, null, 2)),
        table(
          t('disputes.title'),
          [t('rules.event'), t('rules.time'), t('rules.counted'), t('rules.why')],
          view.events.map((e) => [e.id, e.time, t(e.counted ? 'common.yes' : 'common.no'), e.why]),
        ),
      );
    } catch (error) {
      report(error);
    }
  };
  return h(
    'div',
    {},
    h('h1', {}, t('disputes.title')),
    h(
      'section',
      {},
      h(
        'form',
        { onsubmit: explain },
        field(t('disputes.client'), client),
        field(t('disputes.achievement'), achievement),
        field(t('disputes.reason'), reason),
        h('button', { type: 'submit' }, t('disputes.explain')),
      ),
    ),
    h('section', {}, result),
  );
}
