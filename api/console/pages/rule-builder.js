import { get, post, Refused } from '../api.js';
import { debounce, field, h, table } from '../dom.js';
import { number, t } from '../i18n.js';
import { ruleForm } from '../rule-builder-form.js';
import { presetKeys } from '../rule-builder-fields.js';
import { emptyValue, inSchemaOrder } from '../rule-builder-schema.js';
import { dryRunPane } from './rule-trials.js';

/** The document being built, kept while the page is drawn again (a language change, a save). */
let kept;

/** Each problem with a button that takes the focus to its control. */
function problemList(problems, focus) {
  return h(
    'ul',
    { 'data-builder-problems': '' },
    problems.map((problem) =>
      h(
        'li',
        { class: 'bad' },
        h(
          'button',
          { type: 'button', class: 'plain', onclick: () => focus(problem.pointer) },
          t('builder.goTo', { pointer: problem.pointer || '/' }),
        ),
        ' ',
        problem.detail,
      ),
    ),
  );
}

/** Each example passed or failed; a failed one with its trace: which event counted, why not, the measure. */
function exampleList(examples) {
  if (examples.length === 0) return h('p', { class: 'muted' }, t('builder.noExamples'));
  return h(
    'ul',
    { 'data-builder-examples': '' },
    examples.map((example) =>
      h(
        'li',
        { class: example.passed ? 'ok' : 'bad', 'data-passed': String(example.passed) },
        t('builder.example', {
          name: example.name,
          result: t(example.passed ? 'rules.passed' : 'rules.failed'),
        }),
        example.passed
          ? null
          : table(
              example.name,
              [t('rules.event'), t('rules.counted'), t('rules.why'), t('rules.measure'), t('rules.unlocked')],
              example.trace.map((event) => [
                event.eventId,
                t(event.counted ? 'common.yes' : 'common.no'),
                event.why,
                String(event.measure),
                event.unlocked.join(', '),
              ]),
            ),
      ),
    ),
  );
}

function checkView(check, focus) {
  return h(
    'div',
    {},
    check.ok
      ? h('p', { class: 'ok', 'data-builder-valid': '' }, t('builder.valid', { version: check.version }))
      : h('p', { class: 'bad' }, t('builder.invalid')),
    check.problems.length > 0 ? problemList(check.problems, focus) : null,
    h('h3', {}, t('builder.examples')),
    exampleList(check.examples),
  );
}

/** What a dry run would ask of each partner: the clients reaching each level that names one. */
function partnerCosts(view, document) {
  const rewards = new Map();
  for (const level of Array.isArray(document.levels) ? document.levels : []) {
    if (!level?.partner) continue;
    const clients = view.clients[level.achievementId] ?? 0;
    rewards.set(level.partner, (rewards.get(level.partner) ?? 0) + clients);
  }
  if (rewards.size === 0) return h('p', { class: 'muted', 'data-partner-costs': '' }, t('builder.noPartner'));
  return h(
    'div',
    { 'data-partner-costs': '' },
    table(
      t('builder.partnerCost'),
      [t('builder.partner'), t('builder.rewards')],
      [...rewards].map(([partner, count]) => [partner, number(count)]),
    ),
  );
}

/** Where to start: an empty rule or an example rule, its sentence shown beside the chooser. */
function startingPoints(templates, start) {
  const chooser = h(
    'select',
    { id: 'builder-template', 'aria-describedby': 'builder-template-summary' },
    h('option', { value: '' }, t('builder.empty')),
    templates.map((template) => h('option', { value: template.id }, `${template.title} (${template.id})`)),
  );
  const summary = h('p', { class: 'muted', id: 'builder-template-summary' });
  const describe = () =>
    (summary.textContent = templates.find((template) => template.id === chooser.value)?.summary ?? '');
  chooser.addEventListener('change', describe);
  describe();
  return h(
    'section',
    {},
    h('p', {}, t('builder.intro')),
    h(
      'div',
      { class: 'builder-start' },
      field(t('builder.startFrom'), chooser),
      h('button', { type: 'button', onclick: () => start(chooser.value) }, t('builder.use')),
    ),
    summary,
  );
}

/**
 * The rule builder: a form drawn from the API's own rule schema beside the JSON, both ways; as the owner
 * types, the API's problems by field, the examples' results and the rule in plain words; on request a dry run's
 * estimate; and the version created.
 */
export async function ruleBuilderPage({ who, say, report }) {
  const [schema, { templates }] = await Promise.all([
    get('/v1/admin/rules/schema'),
    get('/v1/admin/rules/templates'),
  ]);
  const json = h('textarea', { rows: 24, spellcheck: 'false', id: 'builder-json' });
  const jsonState = h('p', { class: 'muted', id: 'builder-json-state', 'aria-live': 'polite' });
  const summary = h('p', { id: 'builder-summary', 'aria-live': 'polite' });
  const verdict = h('div', { id: 'builder-check', 'aria-live': 'polite' });
  /** The document as the form holds it, its members in the schema's order: shown, checked and created so. */
  const ordered = () => inSchemaOrder(schema, schema, form.document());
  const form = ruleForm(schema, (document) => {
    kept = document;
    if (globalThis.document.activeElement !== json) json.value = JSON.stringify(ordered(), null, 2);
    jsonState.textContent = '';
    check();
  });

  const check = debounce(async () => {
    // The form edits its document in place: what is sent is a copy, and an answer about an older one is dropped.
    // The last answer stays in view (busy) until the next: a live region redrawn at each key would chatter.
    const sent = JSON.stringify(ordered());
    verdict.setAttribute('aria-busy', 'true');
    if (!verdict.firstChild) verdict.append(h('p', { class: 'muted' }, t('builder.checking')));
    try {
      const [checked, said] = await Promise.all([
        post('/v1/admin/rules/check', JSON.parse(sent)),
        post('/v1/admin/rules/summary', JSON.parse(sent)),
      ]);
      if (sent !== JSON.stringify(ordered())) return;
      if (summary.textContent !== said.summary) summary.textContent = said.summary;
      form.showProblems(checked.problems);
      verdict.replaceChildren(checkView(checked, (pointer) => form.focus(pointer)));
    } catch (error) {
      // Past the API's limit per employee: the check comes again, once, when the minute has moved on.
      if (error instanceof Refused && error.status === 429) {
        verdict.replaceChildren(h('p', { class: 'muted' }, t('builder.paused')));
        return setTimeout(check, 10_000);
      }
      report(error);
    } finally {
      verdict.removeAttribute('aria-busy');
    }
  }, 600);

  const show = (document) => {
    kept = document;
    form.load(document);
    json.value = JSON.stringify(ordered(), null, 2);
    jsonState.textContent = '';
    check();
  };
  const start = (templateId) => {
    const template = templates.find((candidate) => candidate.id === templateId);
    show(
      template ? JSON.parse(JSON.stringify(template.document)) : emptyValue(schema, schema, '', presetKeys),
    );
    say(t('builder.started', { name: template ? template.id : t('builder.empty') }));
  };
  json.addEventListener(
    'input',
    debounce(() => {
      try {
        const parsed = JSON.parse(json.value);
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('{ … }');
        kept = parsed;
        form.load(parsed);
        jsonState.textContent = t('builder.jsonValid');
        check();
      } catch (error) {
        jsonState.textContent = t('builder.jsonInvalid', { error: error.message });
      }
    }, 400),
  );

  const create = async () => {
    try {
      const created = await post('/v1/admin/rules', ordered());
      say(t('builder.created', created));
      check();
    } catch (error) {
      report(error);
    }
  };
  show(kept ?? emptyValue(schema, schema, '', presetKeys));
  const draft = () => ({ ok: true, document: ordered() });
  const admin = who.role === 'admin';
  return h(
    'div',
    {},
    h('h1', {}, t('builder.title')),
    startingPoints(templates, start),
    h(
      'div',
      { class: 'builder-layout' },
      h('section', { class: 'builder-main' }, h('h2', {}, t('builder.form')), form.element),
      h(
        'div',
        { class: 'builder-side' },
        h('section', {}, h('h2', {}, t('builder.summary')), summary),
        h('section', {}, h('h2', {}, t('builder.check')), verdict),
        h(
          'section',
          {},
          field(t('builder.json'), json, 'wide'),
          jsonState,
          admin
            ? h('button', { type: 'button', id: 'builder-create', onclick: create }, t('builder.create'))
            : h('p', { class: 'muted' }, t('builder.adminOnly')),
        ),
      ),
    ),
    dryRunPane(draft, who, report, {
      title: t('builder.estimate'),
      startText: t('builder.estimateStart'),
      more: partnerCosts,
    }),
  );
}
