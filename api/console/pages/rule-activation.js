import { post } from '../api.js';
import { field, h, table } from '../dom.js';
import { t } from '../i18n.js';
import { proposeOrRun } from '../proposing.js';
import { followReplay, instant } from './rule-trials.js';

const temporalLink = (settings, workflowId) =>
  `${settings.temporalUi}/namespaces/${encodeURIComponent(settings.namespace)}/workflows/${encodeURIComponent(workflowId)}`;

function backfillView(view, settings) {
  return h(
    'div',
    {},
    h(
      'p',
      { 'data-backfill-status': view.status },
      t('rules.backfillStatus', {
        status: view.status,
        phase: view.phase,
        caughtUp: view.partitionsCaughtUp,
        partitions: view.partitions,
        replayed: view.eventsReplayed,
      }),
    ),
    h(
      'progress',
      { max: Math.max(1, view.partitions), value: view.partitionsCaughtUp },
      `${view.partitionsCaughtUp}`,
    ),
    h(
      'p',
      {},
      h(
        'a',
        { href: temporalLink(settings, view.workflowId), target: '_blank', rel: 'noopener' },
        t('rules.inTemporal'),
      ),
    ),
    view.result
      ? table(
          t('rules.backfillResult'),
          [t('rules.figure'), t('rules.value')],
          Object.entries(view.result).map(([name, value]) => [name, String(value)]),
        )
      : null,
    view.error ? h('p', { class: 'bad' }, view.error) : null,
  );
}

/** Activation of a version, with or without a backfill over history and its policy; its progress followed. */
export function activationPane(rules, settings, { say, report, relist, mode, why }) {
  const rule = h(
    'select',
    { id: 'activate-rule' },
    rules.map((r) => h('option', { value: r.ruleId }, r.ruleId)),
  );
  const version = h('select', { id: 'activate-version' });
  const versions = () => {
    const chosen = rules.find((r) => r.ruleId === rule.value);
    version.replaceChildren(
      ...(chosen?.versions ?? []).map((v) => h('option', { value: v.version }, `v${v.version}`)),
    );
    version.value = String(chosen?.versions.at(-1)?.version ?? '');
  };
  rule.addEventListener('change', versions);
  versions();
  const backfillFrom = h('input', { type: 'datetime-local', id: 'activate-backfill-from' });
  const notify = h('input', { type: 'checkbox', id: 'activate-notify' });
  const levels = h(
    'select',
    { id: 'activate-levels' },
    h('option', { value: 'all' }, t('rules.levelsAll')),
    h('option', { value: 'highest' }, t('rules.levelsHighest')),
  );
  const maxPoints = h('input', { type: 'number', min: 0, id: 'activate-max-points' });
  const result = h('div', { 'aria-live': 'polite', id: 'activation-result' });
  const activate = async () => {
    const body = backfillFrom.value
      ? {
          backfillFrom: instant(backfillFrom.value),
          policy: {
            notify: notify.checked,
            levels: levels.value,
            ...(maxPoints.value ? { maxPoints: Number(maxPoints.value) } : {}),
          },
        }
      : {};
    try {
      const { ran: activation, proposed } = await proposeOrRun(mode, {
        kind: 'rule.activate',
        action: { ruleId: rule.value, version: Number(version.value), ...body },
        reason: why.value,
        run: () =>
          post(`/v1/admin/rules/${encodeURIComponent(rule.value)}/versions/${version.value}/activate`, body),
      });
      if (proposed) {
        say(t('approvals.proposed', { id: proposed.proposalId }));
        result.replaceChildren(
          h('p', {}, h('a', { href: '#/approvals' }, t('approvals.proposed', { id: proposed.proposalId }))),
        );
        return;
      }
      say(t('rules.activated', activation));
      result.replaceChildren(h('p', {}, t('rules.activated', activation)));
      await relist();
      if (activation.backfill)
        await followReplay(
          `/v1/admin/backfills/${activation.backfill.replayId}`,
          (view) => result.replaceChildren(backfillView(view, settings)),
          report,
        );
    } catch (error) {
      report(error);
    }
  };
  return h(
    'section',
    {},
    h('h2', {}, t('rules.activate')),
    field(t('rules.rule'), rule),
    field(t('rules.version'), version),
    field(t('rules.backfill'), backfillFrom),
    field(t('rules.notify'), notify),
    field(t('rules.levels'), levels),
    field(t('rules.maxPoints'), maxPoints),
    mode === 'single' ? null : field(t('rules.changeReason'), why, 'wide'),
    h('button', { onclick: activate }, t(mode === 'single' ? 'rules.activate' : 'rules.proposeActivation')),
    result,
  );
}
