/**
 * Staff sign-in at the bank's identity provider: OpenID Connect's authorization code flow with PKCE (S256), the
 * console being a public client (no secret; the code is exchanged from the browser). The state and nonce are
 * checked on the way back; the tokens live in this tab's sessionStorage only, the access token is renewed with
 * the refresh token shortly before it expires, and signing out ends the session at the provider too.
 */

const FLOW = 'achievements-console-oidc-flow';
const TOKENS = 'achievements-console-oidc-tokens';
/** Renew the access token this long before it expires, so no call goes out with one about to lapse. */
const RENEW_BEFORE_MS = 30_000;

const read = (key) => {
  try {
    return JSON.parse(sessionStorage.getItem(key) ?? 'null');
  } catch {
    return null;
  }
};

let settings;
/** What the API says of the provider: `{ issuer, clientId }`, or null when staff do not sign in there. */
export function providerSettings() {
  settings ??= fetch('/console/settings.json', { headers: { Accept: 'application/json' } })
    .then((response) => (response.ok ? response.json() : {}))
    .then((answer) => answer.oidc ?? null)
    .catch(() => null);
  return settings;
}

const discovered = new Map();
/** The provider's endpoints from its discovery document, which must name the issuer the API trusts. */
function endpoints(issuer) {
  if (!discovered.has(issuer)) {
    const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    const answer = fetch(url).then(async (response) => {
      const document = response.ok ? await response.json() : {};
      if (document.issuer !== issuer) throw new Error(`${url} does not describe ${issuer}`);
      return document;
    });
    answer.catch(() => discovered.delete(issuer));
    discovered.set(issuer, answer);
  }
  return discovered.get(issuer);
}

const base64url = (bytes) =>
  window
    .btoa(String.fromCharCode(...bytes))
    .replaceAll('+', '-')
    .replaceAll('/', '_')
    .replace(/=+$/, '');
const random = (size) => base64url(window.crypto.getRandomValues(new Uint8Array(size)));
const claimsOf = (jwt) =>
  JSON.parse(window.atob(jwt.split('.')[1].replaceAll('-', '+').replaceAll('_', '/')));
const redirectUri = () => `${location.origin}/console`;

async function challengeOf(verifier) {
  const digest = await window.crypto.subtle.digest('SHA-256', new window.TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

/** Leaves for the provider's sign-in page; it sends the person back to /console with a code. */
export async function beginSignIn({ issuer, clientId }, uiLocale) {
  const { authorization_endpoint: authorize } = await endpoints(issuer);
  const flow = { issuer, clientId, state: random(16), nonce: random(16), verifier: random(32) };
  flow.returnTo = location.hash || '#/achievements';
  sessionStorage.setItem(FLOW, JSON.stringify(flow));
  const url = new window.URL(authorize);
  url.search = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: redirectUri(),
    state: flow.state,
    nonce: flow.nonce,
    code_challenge: await challengeOf(flow.verifier),
    code_challenge_method: 'S256',
    ui_locales: uiLocale,
  }).toString();
  location.assign(url.toString());
}

async function tokenRequest(issuer, form) {
  const { token_endpoint: endpoint } = await endpoints(issuer);
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    body: new URLSearchParams(form).toString(),
    // The page waits for a sign-in's exchange before drawing anything: never for long.
    signal: window.AbortSignal.timeout(10_000),
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(answer.error_description ?? answer.error ?? `HTTP ${response.status}`);
  return answer;
}

function keep(issuer, clientId, answer, idToken = answer.id_token) {
  const now = Date.now();
  sessionStorage.setItem(
    TOKENS,
    JSON.stringify({
      issuer,
      clientId,
      accessToken: answer.access_token,
      refreshToken: answer.refresh_token,
      idToken,
      accessExpiresAt: now + answer.expires_in * 1000,
      refreshExpiresAt: answer.refresh_expires_in ? now + answer.refresh_expires_in * 1000 : undefined,
    }),
  );
}

/**
 * On the way back from the provider (`/console?code=…&state=…`): checks the state, exchanges the code with the
 * verifier, checks the ID token's issuer, audience and nonce (it came straight from the token endpoint, so its
 * signature is the API's to check on the access token, not the page's), and takes the code out of the address.
 * Answers what went wrong, in the provider's words, or undefined.
 */
async function completeSignIn() {
  const params = new URLSearchParams(location.search);
  if (!params.has('state')) return undefined;
  const flow = read(FLOW);
  sessionStorage.removeItem(FLOW);
  window.history.replaceState(null, '', `${location.pathname}${flow?.returnTo ?? ''}`);
  if (!flow || params.get('state') !== flow.state) return 'state';
  if (params.has('error')) return params.get('error_description') ?? params.get('error');
  try {
    const answer = await tokenRequest(flow.issuer, {
      grant_type: 'authorization_code',
      code: params.get('code') ?? '',
      redirect_uri: redirectUri(),
      client_id: flow.clientId,
      code_verifier: flow.verifier,
    });
    const id = claimsOf(answer.id_token);
    const audience = [id.aud].flat();
    if (id.iss !== flow.issuer || !audience.includes(flow.clientId) || id.nonce !== flow.nonce)
      return 'nonce';
    keep(flow.issuer, flow.clientId, answer);
    return undefined;
  } catch (error) {
    return error.message;
  }
}

let problem = await completeSignIn();
/** Why the sign-in at the provider just failed ('state', 'nonce' or the provider's words), told once. */
export function takeSignInProblem() {
  const told = problem;
  problem = undefined;
  return told;
}

/** The signed-in person per the provider's tokens, while the session can still be renewed. */
export function providerSession() {
  const tokens = read(TOKENS);
  if (!tokens) return undefined;
  const endsAt = tokens.refreshExpiresAt ?? tokens.accessExpiresAt;
  if (Date.now() >= endsAt) {
    sessionStorage.removeItem(TOKENS);
    return undefined;
  }
  const claims = claimsOf(tokens.accessToken);
  const roles = claims.realm_access?.roles ?? [];
  const role = roles.includes('admin') ? 'admin' : roles.includes('support') ? 'support' : 'none';
  return {
    token: tokens.accessToken,
    sub: claims.preferred_username ?? claims.sub,
    name: claims.name,
    role,
    expiresAt: new Date(endsAt),
  };
}

let renewing;
/** Renews the access token with the refresh token when it expires within half a minute; signs out if refused. */
export function renewedToken() {
  const tokens = read(TOKENS);
  if (!tokens || Date.now() < tokens.accessExpiresAt - RENEW_BEFORE_MS) return Promise.resolve();
  renewing ??= tokenRequest(tokens.issuer, {
    grant_type: 'refresh_token',
    refresh_token: tokens.refreshToken,
    client_id: tokens.clientId,
  })
    .then(
      (answer) => keep(tokens.issuer, tokens.clientId, answer, answer.id_token ?? tokens.idToken),
      () => sessionStorage.removeItem(TOKENS),
    )
    .finally(() => (renewing = undefined));
  return renewing;
}

/** Forgets the provider's tokens in this tab. */
export const forgetProviderSession = () => sessionStorage.removeItem(TOKENS);

/**
 * Forgets the provider's tokens and answers where to go to end the session at the provider as well (its
 * end-session endpoint, which sends the browser back to the console), or undefined for a pasted token.
 */
export async function endProviderSession() {
  const tokens = read(TOKENS);
  sessionStorage.removeItem(TOKENS);
  if (!tokens) return undefined;
  const { end_session_endpoint: endSession } = await endpoints(tokens.issuer).catch(() => ({}));
  if (!endSession) return undefined;
  const url = new window.URL(endSession);
  url.search = new URLSearchParams({
    id_token_hint: tokens.idToken,
    post_logout_redirect_uri: redirectUri(),
    client_id: tokens.clientId,
  }).toString();
  return url.toString();
}
