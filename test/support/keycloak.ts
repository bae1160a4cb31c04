import { createHash, randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import pg from 'pg';
import { inject } from 'vitest';
import { LOCAL_OIDC_ISSUER } from '../../platform/config.js';
import { KEYCLOAK_ADMIN, KEYCLOAK_URL } from '../../scripts/stack/keycloak.js';

/** The local realm's people (deploy/keycloak/achievements-realm.json), with their local-only passwords. */
export const STAFF = {
  'admin-1': 'admin-1-local-only',
  'admin-2': 'admin-2-local-only',
  'support-1': 'support-1-local-only',
} as const;

export const CONSOLE_CLIENT = 'achievements-console';
/** A redirect URI the realm registers for the console; the flow stops there, nothing needs to listen. */
export const CONSOLE_REDIRECT = 'http://127.0.0.1:8080/console';

export interface SignedIn {
  accessToken: string;
  refreshToken: string;
  idToken: string;
  expiresIn: number;
}

const base64url = (bytes: Buffer) => bytes.toString('base64url');

/** A browser's cookie jar, as small as one realm's sign-in needs (the cookies' paths all lie under the realm). */
class Cookies {
  private readonly jar = new Map<string, string>();
  take(response: Response) {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair!.indexOf('=');
      this.jar.set(pair!.slice(0, at).trim(), pair!.slice(at + 1));
    }
  }
  header = () => [...this.jar].map(([name, value]) => `${name}=${value}`).join('; ');
}

const htmlDecode = (text: string) =>
  text.replaceAll('&amp;', '&').replaceAll('&quot;', '"').replaceAll('&#39;', "'");

/** The console client's authorization request at `issuer` (code flow), with `extra` parameters (PKCE, state). */
export function authorizationUrl(issuer: string, extra: Record<string, string>) {
  const authorize = new URL(`${issuer}/protocol/openid-connect/auth`);
  authorize.search = new URLSearchParams({
    client_id: CONSOLE_CLIENT,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: CONSOLE_REDIRECT,
    ...extra,
  }).toString();
  return authorize;
}

/**
 * What a person does in a browser, done in Node against the real Keycloak: opens the authorization URL (code
 * flow, PKCE S256, state and nonce), submits the login form with `username` and `password` keeping its cookies,
 * follows redirects until the redirect URI, checks the state, and exchanges the code with the verifier. The
 * ID token's nonce is checked as a client must.
 */
export async function signInAs(username: string, password: string, issuer = LOCAL_OIDC_ISSUER) {
  const verifier = base64url(randomBytes(32));
  const state = base64url(randomBytes(16));
  const nonce = base64url(randomBytes(16));
  const authorize = authorizationUrl(issuer, {
    state,
    nonce,
    code_challenge: base64url(createHash('sha256').update(verifier).digest()),
    code_challenge_method: 'S256',
  });
  const cookies = new Cookies();
  const page = await fetch(authorize, { redirect: 'manual' });
  cookies.take(page);
  const html = await page.text();
  const action = /<form[^>]*id="kc-form-login"[^>]*action="([^"]+)"/.exec(html)?.[1];
  if (!action) throw new Error(`no login form at ${authorize.toString()} (HTTP ${page.status})`);
  let response = await fetch(htmlDecode(action), {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookies.header() },
    body: new URLSearchParams({ username, password, credentialId: '' }).toString(),
  });
  let location = response.headers.get('location');
  // Keycloak answers the form with a redirect to the console; follow any hop of its own on the way.
  while (location && !location.startsWith(CONSOLE_REDIRECT)) {
    cookies.take(response);
    response = await fetch(location, { redirect: 'manual', headers: { Cookie: cookies.header() } });
    location = response.headers.get('location');
  }
  if (!location) throw new LoginRefused(username, response.status, await response.text());
  const back = new URL(location).searchParams;
  if (back.get('state') !== state) throw new Error('the provider sent back another state');
  const code = back.get('code');
  if (!code) throw new Error(`no code in ${location}`);
  const tokens = await tokenRequest(issuer, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: CONSOLE_REDIRECT,
    client_id: CONSOLE_CLIENT,
    code_verifier: verifier,
  });
  if (decodeJwt(tokens.idToken).nonce !== nonce) throw new Error('the ID token carries another nonce');
  return tokens;
}

/** The login form came back instead of a redirect: the password is wrong (or the account cannot sign in). */
export class LoginRefused extends Error {
  constructor(username: string, status: number, page: string) {
    const message = /kc-feedback-text">\s*([^<]+)/.exec(page)?.[1]?.trim() ?? `HTTP ${status}`;
    super(`${username} could not sign in: ${message}`);
  }
}

/** A token request of the public client (no secret), as the console's page sends it. */
export async function tokenRequest(issuer: string, form: Record<string, string>): Promise<SignedIn> {
  const response = await fetch(`${issuer}/protocol/openid-connect/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  const answer = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`token endpoint: ${JSON.stringify(answer)}`);
  return {
    accessToken: answer.access_token as string,
    refreshToken: answer.refresh_token as string,
    idToken: answer.id_token as string,
    expiresIn: answer.expires_in as number,
  };
}

/** A token of Keycloak's own administrator (master realm), for its admin REST API. */
export async function keycloakAdminToken(): Promise<string> {
  const response = await fetch(`${KEYCLOAK_URL}/realms/master/protocol/openid-connect/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'password',
      client_id: 'admin-cli',
      ...KEYCLOAK_ADMIN,
    }).toString(),
  });
  if (!response.ok) throw new Error(`Keycloak's admin could not sign in: HTTP ${response.status}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

export interface ProviderEvent {
  type: string;
  time: number;
  clientId?: string;
  userId?: string;
  details?: Record<string, string>;
}

/** The realm's saved events (newest first), as its administrators read them in Keycloak's admin console. */
export async function realmEvents(query: Record<string, string> = {}): Promise<ProviderEvent[]> {
  const url = new URL(`${KEYCLOAK_URL}/admin/realms/achievements/events`);
  url.search = new URLSearchParams({ max: '200', ...query }).toString();
  const response = await fetch(url, { headers: { Authorization: `Bearer ${await keycloakAdminToken()}` } });
  if (!response.ok) throw new Error(`events: HTTP ${response.status}`);
  return (await response.json()) as ProviderEvent[];
}

/**
 * A person of the realm with no role of the engine's, for as long as a test needs them: created through the
 * admin REST API (as the bank's identity team would), removed with `remove`.
 */
export async function personWithoutRoles(username: string, password: string) {
  const admin = { Authorization: `Bearer ${await keycloakAdminToken()}`, 'Content-Type': 'application/json' };
  const users = `${KEYCLOAK_URL}/admin/realms/achievements/users`;
  const created = await fetch(users, {
    method: 'POST',
    headers: admin,
    body: JSON.stringify({
      username,
      enabled: true,
      firstName: 'Test',
      lastName: 'Without Roles',
      email: `${username}@bank.example`,
      emailVerified: true,
      credentials: [{ type: 'password', value: password, temporary: false }],
    }),
  });
  if (created.status !== 201) throw new Error(`creating ${username}: HTTP ${created.status}`);
  const location = created.headers.get('location')!;
  return { remove: () => fetch(location, { method: 'DELETE', headers: admin }) };
}

/**
 * Registers a console served at `origin` (a test's API on a port of its own) with the realm's console client,
 * as the bank's identity team registers a deployment's address: its redirect URI and its origin for CORS.
 * `remove` takes them out again.
 */
export async function registerConsole(origin: string) {
  const clients = `${KEYCLOAK_URL}/admin/realms/achievements/clients`;
  // The master realm's tokens live a minute: each change asks for its own.
  const admin = async () => ({
    Authorization: `Bearer ${await keycloakAdminToken()}`,
    'Content-Type': 'application/json',
  });
  const [found] = (await (
    await fetch(`${clients}?clientId=${CONSOLE_CLIENT}`, { headers: await admin() })
  ).json()) as {
    id: string;
  }[];
  const url = `${clients}/${found!.id}`;
  type Client = { redirectUris: string[]; webOrigins: string[] };
  // Test files running at once each read, edit and write the one client: one at a time, or a write from a
  // stale read drops another file's address. The shared PostgreSQL's advisory lock orders them.
  const change = async (edit: (client: Client) => void) => {
    const db = new pg.Client({ connectionString: inject('databaseUrl') });
    await db.connect();
    try {
      await db.query(`SELECT pg_advisory_lock(hashtext('keycloak:${CONSOLE_CLIENT}'))`);
      const headers = await admin();
      const client = (await (await fetch(url, { headers })).json()) as Client;
      edit(client);
      const saved = await fetch(url, { method: 'PUT', headers, body: JSON.stringify(client) });
      if (saved.status !== 204) throw new Error(`updating ${CONSOLE_CLIENT}: HTTP ${saved.status}`);
    } finally {
      await db.end();
    }
  };
  const redirect = `${origin}/console`;
  await change((client) => {
    client.redirectUris.push(redirect);
    client.webOrigins.push(origin);
  });
  return {
    remove: () =>
      change((client) => {
        client.redirectUris = client.redirectUris.filter((uri) => uri !== redirect);
        client.webOrigins = client.webOrigins.filter((allowed) => allowed !== origin);
      }),
  };
}
