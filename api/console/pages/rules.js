import { get, post } from '../api.js';
import { campaignTerms, liveDocument } from '../campaign.js';
import { debounce, field, h, table } from '../dom.js';
import { t, when } from '../i18n.js';
import { locate } from '../json-pointer.js';
import { approvalMode, proposeOrRun } from '../proposing.js';
import { activationPane } from './rule-activation.js';
import { dryRunPane, simulationPane } from './rule-trials.js';

/** What the editor holds before a rule is chosen: a rule with one example, to edit into another. */
const TEMPLATE = {
  id: 'bakery-fan',
  trigger: { on: 'transaction' },
  filter: { kinds: ['purchase'], categoryIds: [5462] },
  measure: { type: 'count' },
  window: { type: 'calendar', unit: 'month' },
  levels: [
    {
      achievementId: 'bakery-fan',
      target: 3,
      points: 30,
      title: { en: 'Bakery fan', uk: 'Шанувальник пекарень', he: 'אוהבי מאפיות' },
      description: {
        en: 'Buy at a bakery 3 times in one calendar month.',
        uk: 'Купіть у пекарні 3 рази за календарний місяць.',
        he: 'קנו במאפייה 3 פעמים בחודש קלנדרי אחד.',
      },
    },
  ],
  examples: [
    {
      name: 'three bakery visits in November',
      given: [
        { amount: 4000, time: '2026-11-02T08:00:00+02:00', categoryId: 5462 },
        { amount: 4000, time: '2026-11-09T08:00:00+02:00', categoryId: 5462 },
        { amount: 4000, time: '2026-11-16T08:00:00+02:00', categoryId: 5462 },
      ],
      then: { unlocked: ['bakery-fan'], measures: [1, 2, 3] },
    },
  ],
};

/** The editor's text, kept while the page is drawn again (after a save, the saved draft stays in view). */
let draftText = JSON.stringify(TEMPLATE, null, 2);

/** The draft as JSON, or the reason it is not JSON yet. */
function parseDraft(text) {
  try {
    return { ok: true, document: JSON.parse(text) };
  } catch (error) {
    return { ok: false, error: error.message };
  }
}

/** Selects in the editor the value a problem points at, and scrolls it into view. */
function showInEditor(editor, pointer) {
  const { start, end } = locate(editor.value, pointer);
  editor.focus();
  editor.setSelectionRange(start, end);
  const lineHeight = editor.scrollHeight / editor.value.split('\n').length;
  editor.scrollTop = Math.max(0, editor.value.slice(0, start).split('\n').length - 3) * lineHeight;
}

function checkView(check, show) {
  const verdict = check.ok
    ? h('p', { class: 'ok' }, t('rules.valid', { version: check.version }))
    : h('p', { class: 'bad' }, t('rules.invalid'));
  return h(
    'div',
    {},
    verdict,
    h(
      'ul',
      { 'data-problems': '' },
      check.problems.map((problem) =>
        h(
          'li',
          { class: 'bad' },
          h(
            'button',
            {
              class: 'plain',
              onclick: () => show(problem.pointer),
              'aria-label': t('rules.showProblem', { pointer: problem.pointer || '/' }),
            },
            h('code', {}, problem.pointer || '/'),
          ),
          ' ',
          problem.detail,
        ),
      ),
    ),
    check.examples.length > 0
      ? h(
          'div',
          {},
          h('h3', {}, t('rules.examples')),
          h(
            'ul',
            { 'data-examples': '' },
            check.examples.map((example) =>
              h(
                'li',
                { class: example.passed ? 'ok' : 'bad' },
                `${example.name}: ${t(example.passed ? 'rules.passed' : 'rules.failed')}`,
              ),
            ),
          ),
        )
      : null,
  );
}

/**
 * Rules, their versions, which is live and their campaign terms; an editor checked by the API as one types, and
 * its trials.
 */
export async function rulesPage({ who, say, report, refresh }) {
  const [{ rules }, settings, mode] = await Promise.all([
    get('/v1/admin/rules'),
    get('/console/settings.json'),
    approvalMode(),
  ]);
  // Where two admins decide, an activation or a stop is proposed with this reason.
  const why = h('input', { id: 'rule-change-reason', maxlength: 500 });
  const editor = h('textarea', { rows: 22, spellcheck: 'false', id: 'rule-document' });
  const verdict = h('div', { 'aria-live': 'polite', id: 'rule-check' });
  const draft = () => parseDraft(editor.value);

  const check = debounce(async () => {
    const parsed = draft();
    if (!parsed.ok) return verdict.replaceChildren(h('p', { class: 'bad' }, parsed.error));
    verdict.replaceChildren(h('p', { class: 'muted' }, t('rules.checking')));
    try {
      const checked = await post('/v1/admin/rules/check', parsed.document);
      verdict.replaceChildren(checkView(checked, (pointer) => showInEditor(editor, pointer)));
    } catch (error) {
      report(error);
    }
  }, 400);
  editor.addEventListener('input', () => {
    draftText = editor.value;
    check();
  });

  const load = (document) => {
    const { version: _version, ...draftDocument } = document;
    editor.value = draftText = JSON.stringify(draftDocument, null, 2);
    check();
  };
  const ruleRows = (listed) =>
    listed.map((rule) => [
      h('code', {}, rule.ruleId),
      h(
        'span',
        {},
        rule.versions.map((version) =>
          h(
            'button',
            {
              class: 'plain',
              onclick: () => load(version.document),
              'aria-label': `${rule.ruleId} v${version.version}`,
            },
            `v${version.version}`,
          ),
        ),
      ),
      h(
        'span',
        { 'data-active': rule.ruleId },
        rule.active ? `v${rule.active.version} (${when(rule.active.since)})` : t('rules.none'),
        rule.active && who.role === 'admin'
          ? [
              ' ',
              h(
                'button',
                { class: 'plain', onclick: () => deactivate(rule.ruleId) },
                `${t(mode === 'single' ? 'rules.deactivate' : 'rules.proposeStop')} ${rule.ruleId}`,
              ),
            ]
          : null,
      ),
      // The live version's terms, or the newest version's while none is live.
      h(
        'div',
        { 'data-terms': rule.ruleId },
        campaignTerms(liveDocument(rule) ?? rule.versions.at(-1).document, rule.active?.budget),
      ),
    ]);
  const ruleTable = (listed) =>
    table(
      t('rules.title'),
      [t('rules.rule'), t('rules.versions'), t('rules.active'), t('rules.terms')],
      ruleRows(listed),
    );
  const listing = h('section', {}, ruleTable(rules));
  /** After an activation, the list says which version is live now, the activation pane left as it is. */
  const relist = async () => listing.replaceChildren(ruleTable((await get('/v1/admin/rules')).rules));
  const deactivate = async (ruleId) => {
    try {
      const { ran, proposed } = await proposeOrRun(mode, {
        kind: 'rule.deactivate',
        action: { ruleId },
        reason: why.value,
        run: () => post(`/v1/admin/rules/${encodeURIComponent(ruleId)}/deactivate`),
      });
      if (proposed) return say(t('approvals.proposed', { id: proposed.proposalId }));
      say(t('rules.deactivated', { ruleId, outcome: ran.outcome }));
      await relist();
    } catch (error) {
      report(error);
    }
  };
  const save = async () => {
    const parsed = draft();
    if (!parsed.ok) return say(parsed.error, 'bad');
    try {
      const saved = await post('/v1/admin/rules', parsed.document);
      say(t('rules.saved', saved));
      refresh();
    } catch (error) {
      report(error);
    }
  };
  editor.value = draftText;
  check();
  return h(
    'div',
    {},
    h('h1', {}, t('rules.title')),
    listing,
    h(
      'div',
      { class: 'row' },
      h(
        'section',
        {},
        h('h2', {}, t('rules.editor')),
        field(t('rules.document'), editor, 'wide'),
        who.role === 'admin' ? h('button', { onclick: save }, t('rules.save')) : null,
      ),
      h('section', {}, h('h2', {}, t('rules.check')), verdict),
    ),
    h('div', { class: 'row' }, simulationPane(draft, report), dryRunPane(draft, who, report)),
    who.role === 'admin' ? activationPane(rules, settings, { say, report, relist, mode, why }) : null,
  );
}
