import { get } from '../api.js';
import { campaignTerms, liveDocument } from '../campaign.js';
import { field, h, table } from '../dom.js';
import { t, when } from '../i18n.js';

/** When the client earned it: for one that repeats, how often and its latest earning. */
const earnedView = (state, ruleDocument) =>
  state.unlockedAt
    ? h(
        'p',
        { 'data-earned': state.unlockedAt },
        t(ruleDocument?.repeat ? 'disputes.latestEarning' : 'disputes.earned', {
          at: when(state.unlockedAt),
          times: state.timesEarned,
        }),
      )
    : null;

/**
 * A client's achievement explained: its state, when it was earned, its rule's campaign terms and window, and why
 * each event did or did not count.
 */
export async function disputesPage({ report }) {
  const [catalog, { rules }] = await Promise.all([get('/v1/catalog'), get('/v1/admin/rules')]);
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
      const grants = (rule) =>
        liveDocument(rule)?.levels.some((level) => level.achievementId === view.achievementId);
      const rule = rules.find(grants);
      const ruleDocument = rule && liveDocument(rule);
      const terms = ruleDocument && campaignTerms(ruleDocument, rule.active.budget);
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
        earnedView(view.state, ruleDocument),
        terms ? h('div', {}, h('h2', {}, t('rules.terms')), terms) : null,
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
