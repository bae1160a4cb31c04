import { Refused, session, signIn, signOut } from './api.js';
import { field, h } from './dom.js';
import { language, setLanguage, t, when } from './i18n.js';
import { beginSignIn, endProviderSession, providerSettings, takeSignInProblem } from './oidc.js';
import { achievementsPage } from './pages/achievements.js';
import { approvalsPage } from './pages/approvals.js';
import { auditPage } from './pages/audit.js';
import { deadLettersPage } from './pages/dead-letters.js';
import { disputesPage } from './pages/disputes.js';
import { ruleBuilderPage } from './pages/rule-builder.js';
import { rulesPage } from './pages/rules.js';

const PAGES = {
  achievements: { label: 'nav.achievements', render: achievementsPage },
  rules: { label: 'nav.rules', render: rulesPage },
  builder: { label: 'nav.builder', render: ruleBuilderPage },
  disputes: { label: 'nav.disputes', render: disputesPage },
  'dead-letters': { label: 'nav.deadLetters', render: deadLettersPage },
  approvals: { label: 'nav.approvals', render: approvalsPage },
  audit: { label: 'nav.audit', render: auditPage, adminOnly: true },
};

const main = document.getElementById('main');

/** A message in the live region: screen readers announce it, and it fades after a while. */
export function say(text, kind = '') {
  const status = document.getElementById('status');
  const line = h('p', { class: kind }, text);
  status.replaceChildren(line);
  setTimeout(() => line.remove(), 8000);
}

/** What a failed call tells the person: the API's own words, or a new sign-in when the token is refused. */
export function report(error) {
  if (error instanceof Refused && error.status === 401) {
    signOut();
    say(t('signIn.expired'), 'bad');
    render();
    return;
  }
  say(error.message, 'bad');
}

/**
 * Staff sign in at the bank's identity provider when the API names one; a token pasted by hand stays possible
 * (local use, or a deployment without a provider).
 */
function signInPage() {
  const token = h('textarea', { rows: 4, required: true, autocomplete: 'off', spellcheck: 'false' });
  const form = h(
    'form',
    {
      onsubmit: (event) => {
        event.preventDefault();
        signIn(token.value);
        if (!session()) return say(t('signIn.expired'), 'bad');
        location.hash = '#/achievements';
        render();
      },
    },
    h('p', {}, t('signIn.help')),
    field(t('signIn.token'), token, 'wide'),
    h('button', { type: 'submit' }, t('signIn.submit')),
  );
  const provider = h('div', {});
  providerSettings().then((oidc) => {
    if (!oidc) return;
    const start = h(
      'button',
      {
        type: 'button',
        onclick: () =>
          beginSignIn(oidc, language()).catch((error) =>
            say(t('signIn.providerDown', { detail: error.message }), 'bad'),
          ),
      },
      t('signIn.provider'),
    );
    provider.replaceChildren(h('p', {}, t('signIn.providerHelp')), start, h('h2', {}, t('signIn.orToken')));
  });
  const problem = takeSignInProblem();
  if (problem) {
    const known = { state: 'signIn.stateMismatch', nonce: 'signIn.nonceMismatch' };
    say(known[problem] ? t(known[problem]) : t('signIn.refused', { detail: problem }), 'bad');
  }
  return h('section', {}, h('h1', {}, t('signIn.title')), provider, form);
}

function header(current, who) {
  document.getElementById('brand').textContent = t('brand');
  document.getElementById('language-label').textContent = t('language');
  document.querySelector('.skip').textContent = t('skip');
  const nav = document.getElementById('nav');
  nav.replaceChildren(
    ...(who
      ? Object.entries(PAGES)
          .filter(([, page]) => !page.adminOnly || who.role === 'admin')
          .map(([id, page]) =>
            h('a', { href: `#/${id}`, 'aria-current': id === current ? 'page' : undefined }, t(page.label)),
          )
      : []),
  );
  document.getElementById('who').replaceChildren(
    ...(who
      ? [
          t('signIn.as', { sub: who.sub, role: who.role, until: when(who.expiresAt) }),
          ' ',
          h(
            'button',
            {
              class: 'plain',
              // Signed in at the provider: its session ends too, and it sends the browser back here.
              onclick: async () => {
                const away = await endProviderSession();
                signOut();
                if (away) location.assign(away);
                else render();
              },
            },
            t('signIn.out'),
          ),
        ]
      : []),
  );
}

/** How many times a page was drawn: the newest drawing is the one shown. */
let drawings = 0;

/** Draws the page the address names; each page fetches what it shows and reports its own failures. */
export function render() {
  const who = session();
  const id = location.hash.replace(/^#\//, '').split('?')[0] || 'achievements';
  const page = PAGES[id] ?? PAGES.achievements;
  header(id, who);
  document.documentElement.lang = language();
  if (!who) {
    main.replaceChildren(signInPage());
    return;
  }
  main.replaceChildren(h('p', {}, t('loading')));
  // A page still loading when another is asked for (a click on the next link, a language change) must not
  // draw over it once it arrives: only the latest drawing is shown.
  const drawing = ++drawings;
  const current = () => drawing === drawings;
  page.render({ who, say, report, refresh: render }).then(
    (content) => {
      if (!current()) return;
      main.replaceChildren(content);
      main.focus();
    },
    (error) => {
      if (!current()) return;
      main.replaceChildren();
      report(error);
    },
  );
}

const chooser = document.getElementById('language');
chooser.value = language();
chooser.addEventListener('change', () => {
  setLanguage(chooser.value);
  render();
});
window.addEventListener('hashchange', render);
render();
