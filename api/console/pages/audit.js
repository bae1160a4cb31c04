import { get } from '../api.js';
import { field, h, table } from '../dom.js';
import { t, when } from '../i18n.js';
import { instant } from './rule-trials.js';

/** The audit log (admins), filtered by who, what and when. */
export async function auditPage({ report }) {
  const actor = h('input', { id: 'audit-actor' });
  const action = h('input', { id: 'audit-action' });
  const from = h('input', { type: 'datetime-local', id: 'audit-from' });
  const to = h('input', { type: 'datetime-local', id: 'audit-to' });
  const entries = h('div', { 'aria-live': 'polite', id: 'audit-entries' });
  const load = async (event) => {
    event?.preventDefault();
    const query = new URLSearchParams(
      Object.entries({
        actor: actor.value,
        action: action.value,
        from: from.value && instant(from.value),
        to: to.value && instant(to.value),
        limit: '200',
      }).filter(([, value]) => value),
    );
    try {
      const log = await get(`/v1/admin/audit?${query}`);
      entries.replaceChildren(
        table(
          t('audit.title'),
          [
            t('audit.at'),
            t('audit.actor'),
            t('audit.role'),
            t('audit.action'),
            t('audit.target'),
            t('audit.why'),
            t('audit.approvedBy'),
          ],
          log.entries.map((e) => [
            when(e.at),
            e.actorId,
            e.actorRole,
            e.action,
            e.target,
            e.reason ?? '',
            e.approvedBy ?? '',
          ]),
        ),
      );
    } catch (error) {
      report(error);
    }
  };
  await load();
  return h(
    'div',
    {},
    h('h1', {}, t('audit.title')),
    h(
      'section',
      {},
      h(
        'form',
        { onsubmit: load },
        field(t('audit.actor'), actor),
        field(t('audit.action'), action),
        field(t('audit.from'), from),
        field(t('audit.to'), to),
        h('button', { type: 'submit' }, t('dlq.filter')),
      ),
    ),
    h('section', {}, entries),
  );
}
