import { get, post } from '../api.js';
import { field, h, table } from '../dom.js';
import { lineDiff } from '../line-diff.js';
import { number, t, when } from '../i18n.js';

const pretty = (version) => (version ? JSON.stringify(version.document, null, 2) : '');

/** The live version against the proposed one, line by line; added and removed lines marked for every reader. */
function ruleDiff(rule) {
  const lines = lineDiff(pretty(rule.live), pretty(rule.proposed));
  const changed = lines.filter(({ op }) => op !== ' ').length;
  return h(
    'figure',
    {},
    h(
      'figcaption',
      {},
      t('approvals.diff', {
        live: rule.live ? `v${rule.live.version}` : t('approvals.none'),
        proposed: rule.proposed ? `v${rule.proposed.version}` : t('approvals.none'),
        changed,
      }),
    ),
    h(
      'pre',
      { class: 'diff', tabindex: 0, 'aria-label': t('approvals.diffLabel') },
      lines.map(({ op, line }) =>
        h(
          op === '+' ? 'ins' : op === '-' ? 'del' : 'span',
          { class: `diff-line${op === ' ' ? '' : op === '+' ? ' added' : ' removed'}` },
          `${op} ${line}`,
        ),
      ),
    ),
  );
}

/** The dry run started with an activation's proposal: what the approver is asked to allow. */
async function estimateOf(dryRunId) {
  if (!dryRunId) return h('p', { class: 'muted' }, t('approvals.noEstimate'));
  const run = await get(`/v1/admin/dry-runs/${dryRunId}`);
  if (run.status !== 'done')
    return h('p', { class: 'muted' }, t('approvals.estimating', { status: run.status }));
  return table(
    t('approvals.estimate', { from: when(run.from) }),
    [t('approvals.achievement'), t('approvals.clients')],
    [
      ...Object.entries(run.clients).map(([achievement, clients]) => [achievement, number(clients)]),
      [t('approvals.points'), number(run.points)],
    ],
  );
}

/** What approving runs, whole: for an activation, plainly whether it backfills, from when and under what policy. */
function whatRuns(proposal) {
  const { action } = proposal;
  const sentence =
    proposal.kind !== 'rule.activate'
      ? null
      : action.backfillFrom
        ? t('approvals.backfill', {
            from: when(action.backfillFrom),
            notify: t(action.policy?.notify === false ? 'approvals.silently' : 'approvals.notifying'),
            levels: action.policy?.levels ?? 'all',
            maxPoints: action.policy?.maxPoints ?? '—',
          })
        : t('approvals.noBackfill');
  return [
    h('dt', {}, t('approvals.runs')),
    h('dd', {}, sentence, ' ', h('code', {}, JSON.stringify(action))),
  ];
}

/** One proposal waiting for a decision: what it does, why, and the decision when it is the viewer's to take. */
async function openProposal(proposal, { who, say, report, refresh }) {
  const reason = h('input', { id: `decision-reason-${proposal.proposalId}`, maxlength: 500 });
  const decide = (decision) => async () => {
    try {
      const decided = await post(`/v1/admin/proposals/${proposal.proposalId}/${decision}`, {
        ...(reason.value ? { reason: reason.value } : {}),
      });
      say(
        t(`approvals.decided.${decided.state}`, {
          id: decided.proposalId,
          status: decided.result?.status ?? '',
        }),
      );
      refresh();
    } catch (error) {
      report(error);
    }
  };
  const own = proposal.proposedBy === who.sub;
  const decision =
    who.role !== 'admin'
      ? h('p', { class: 'muted' }, t('approvals.adminsDecide'))
      : own
        ? h('p', { class: 'muted' }, t('approvals.own'))
        : h(
            'div',
            { class: 'decision' },
            field(t('approvals.reason'), reason, 'wide'),
            h('button', { onclick: decide('approve') }, t('approvals.approve')),
            h('button', { class: 'plain', onclick: decide('reject') }, t('approvals.reject')),
          );
  return h(
    'article',
    { class: 'proposal', 'data-proposal': proposal.proposalId },
    h('h2', {}, t(`approvals.kind.${proposal.kind}`, { target: proposal.target })),
    h(
      'dl',
      {},
      whatRuns(proposal),
      h('dt', {}, t('approvals.why')),
      h('dd', {}, proposal.reason),
      h('dt', {}, t('approvals.proposedBy')),
      h('dd', {}, t('approvals.byAt', { who: proposal.proposedBy, at: when(proposal.proposedAt) })),
      h('dt', {}, t('approvals.expires')),
      h('dd', {}, when(proposal.expiresAt)),
    ),
    proposal.rule ? ruleDiff(proposal.rule) : null,
    proposal.kind === 'rule.activate' ? await estimateOf(proposal.dryRunId) : null,
    decision,
  );
}

/** Proposals two admins decide (CONTRACT §6): those waiting, then the latest decided or expired. */
export async function approvalsPage(context) {
  const [{ proposals: waiting }, { proposals: all }] = await Promise.all([
    get('/v1/admin/proposals'),
    get('/v1/admin/proposals?state=all&limit=50'),
  ]);
  const open = waiting.filter((p) => p.state === 'open');
  const settled = all.filter((p) => p.state !== 'open');
  return h(
    'div',
    {},
    h('h1', {}, t('approvals.title')),
    open.length === 0
      ? h('p', {}, t('approvals.nothingWaiting'))
      : await Promise.all(open.map((proposal) => openProposal(proposal, context))),
    h(
      'section',
      {},
      h('h2', {}, t('approvals.settled')),
      table(
        t('approvals.settled'),
        [
          t('approvals.what'),
          t('approvals.proposedBy'),
          t('approvals.state'),
          t('approvals.decidedBy'),
          t('approvals.result'),
        ],
        settled.map((p) => [
          t(`approvals.kind.${p.kind}`, { target: p.target }),
          t('approvals.byAt', { who: p.proposedBy, at: when(p.proposedAt) }),
          h('span', { 'data-state': p.state }, t(`approvals.state.${p.state}`)),
          p.decidedBy ? t('approvals.byAt', { who: p.decidedBy, at: when(p.decidedAt) }) : '—',
          p.result ? String(p.result.status) : (p.decisionReason ?? ''),
        ]),
      ),
    ),
  );
}
