import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort, killGroup, startRole, type Child } from '../scripts/children.js';
import { TEST_JWT_SECRET } from './support/api.js';
import { eventually } from './support/engine.js';
import {
  keycloakAdminToken,
  LoginRefused,
  personWithoutRoles,
  realmEvents,
  signInAs,
  STAFF,
  tokenRequest,
  authorizationUrl,
  CONSOLE_CLIENT,
  CONSOLE_REDIRECT,
  type SignedIn,
} from './support/keycloak.js';
import { ownEngine } from './support/roles.js';
import { migratedSchema, testKafka, uniqueName } from './support/stack.js';
import { token } from './support/tokens.js';

type Staff = keyof typeof STAFF;

/**
 * Staff sign in at the real Keycloak the stack runs (deploy/keycloak/achievements-realm.json) through the
 * authorization code flow with PKCE, and `main.ts api`, configured as a deployment is, takes their tokens: roles
 * from the realm, the person named in the audit log, every other token refused.
 */
describe('staff signed in at the identity provider (OIDC code flow with PKCE, Keycloak)', () => {
  const kafka = testKafka();
  const issuer = inject('oidcIssuer');
  const startedAt = Date.now();
  let db: Awaited<ReturnType<typeof migratedSchema>>;
  let api: Child;
  let apiUrl: string;
  const signedIn = new Map<Staff, Promise<SignedIn>>();
  /** One sign-in per person for the whole file, as a person signs in once for a day's work. */
  const as = (who: Staff) => {
    if (!signedIn.has(who)) signedIn.set(who, signInAs(who, STAFF[who], issuer));
    return signedIn.get(who)!;
  };
  const call = (path: string, bearer: string) =>
    fetch(`${apiUrl}${path}`, { headers: { Authorization: `Bearer ${bearer}` } });

  beforeAll(async () => {
    db = await migratedSchema();
    const engine = await ownEngine(kafka, db.schema, 1);
    const port = await freePort();
    apiUrl = `http://127.0.0.1:${port}`;
    api = await startRole('api', { ...engine.env, PORT: String(port), OIDC_ISSUER: issuer });
  });

  afterAll(async () => {
    if (api) killGroup(api);
    await db?.drop();
  });

  it('lets admins read what admins read and support what support reads, and refuses support the admin routes', async () => {
    const admin = await as('admin-1');
    const support = await as('support-1');
    expect((await call('/v1/admin/audit?limit=5', admin.accessToken)).status).toBe(200);
    expect((await call('/v1/admin/achievements/coffee-lover/stats', support.accessToken)).status).toBe(200);
    const refused = await call('/v1/admin/audit', support.accessToken);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { detail: string }).detail).toContain('the token has support');
  });

  it('names the person in the audit log: their username at the provider', async () => {
    const support = await as('support-1');
    const reason = uniqueName('dispute');
    const read = await call(
      `/v1/admin/achievements/coffee-lover/stats?reason=${reason}`,
      support.accessToken,
    );
    expect(read.status).toBe(200);
    const admin = await as('admin-2');
    const audit = await call('/v1/admin/audit?actor=support-1&action=achievement.stats', admin.accessToken);
    // Its answer said when it is not the page (once, in CI, it had no entries: what it was went unrecorded).
    const body = (await audit.json()) as { entries: Record<string, unknown>[] };
    expect(audit.status, JSON.stringify(body)).toBe(200);
    const { entries } = body;
    expect(entries).toContainEqual(
      expect.objectContaining({ actorId: 'support-1', actorRole: 'support', target: 'coffee-lover', reason }),
    );
    const { rows } = await db.pool.query<{ actor_id: string; actor_role: string }>(
      `SELECT actor_id, actor_role FROM audit_log WHERE action = 'audit.read'`,
    );
    expect(rows).toContainEqual({ actor_id: 'admin-2', actor_role: 'admin' });
  });

  it('refuses a token signed by another key, of another realm, an ID token, and an app token claiming the provider', async () => {
    const admin = await as('admin-1');
    const claims = decodeJwt(admin.accessToken);
    const { privateKey } = await generateKeyPair('RS256');
    const { kid } = decodeProtectedHeader(admin.accessToken);
    const otherKey = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: kid! })
      .sign(privateKey);
    const otherRealm = await keycloakAdminToken();
    expect(decodeJwt(otherRealm).iss).not.toBe(issuer);
    const appTokenClaimingProvider = await new SignJWT({ ...claims, role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));
    for (const [what, refused] of [
      ['signed by another key', otherKey],
      ['of the master realm', otherRealm],
      ['an ID token', admin.idToken],
      ['an app token claiming the provider as issuer', appTokenClaimingProvider],
    ] as const) {
      expect((await call('/v1/admin/audit', refused)).status, what).toBe(401);
    }
  });

  it('refuses with 403 a person the provider gives neither staff role, and shows the failed and the good sign-in in its events', async () => {
    const username = uniqueName('no-role');
    const password = `${username}-password`;
    const person = await personWithoutRoles(username, password);
    try {
      // The good sign-in first. Once in CI, Keycloak's brute-force detection locked the person after the single
      // wrong password: the good sign-in 176 ms later was refused as user_temporarily_disabled (its log). Why one
      // failure locked is not known; what this test shows does not depend on the order.
      const signed = await signInAs(username, password, issuer);
      await expect(signInAs(username, 'not-the-password', issuer)).rejects.toBeInstanceOf(LoginRefused);
      const refused = await call('/v1/admin/achievements/coffee-lover/stats', signed.accessToken);
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as { detail: string }).detail).toContain(
        'neither the support nor the admin',
      );
      const events = await realmEvents({ user: decodeJwt(signed.accessToken).sub! });
      expect(events.map(({ type }) => type)).toEqual(
        expect.arrayContaining(['LOGIN_ERROR', 'LOGIN', 'CODE_TO_TOKEN']),
      );
    } finally {
      await person.remove();
    }
  });

  it('keeps client (app) tokens as they are, and never takes a staff token for a client', async () => {
    const client = await token({ sub: uniqueName('c'), role: 'client' });
    expect((await call('/v1/me/loyalty', client)).status).toBe(200);
    const admin = await as('admin-1');
    expect((await call('/v1/me/loyalty', admin.accessToken)).status).toBe(403);
  });

  it('renews the access token with the refresh token, and signing out ends the session at the provider', async () => {
    const own = await signInAs('admin-2', STAFF['admin-2'], issuer);
    const refresh = {
      grant_type: 'refresh_token',
      refresh_token: own.refreshToken,
      client_id: CONSOLE_CLIENT,
    };
    const renewed = await tokenRequest(issuer, refresh);
    expect((await call('/v1/admin/audit?limit=1', renewed.accessToken)).status).toBe(200);
    const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as {
      end_session_endpoint: string;
    };
    const signOut = new URL(discovery.end_session_endpoint);
    signOut.search = new URLSearchParams({
      id_token_hint: renewed.idToken,
      post_logout_redirect_uri: CONSOLE_REDIRECT,
      client_id: CONSOLE_CLIENT,
    }).toString();
    const back = await fetch(signOut, { redirect: 'manual' });
    expect(back.headers.get('location')).toBe(CONSOLE_REDIRECT);
    await expect(tokenRequest(issuer, { ...refresh, refresh_token: renewed.refreshToken })).rejects.toThrow(
      /invalid_grant/,
    );
    const userId = decodeJwt(own.accessToken).sub!;
    const types = (await realmEvents({ user: userId }))
      .filter(({ time }) => time >= startedAt - 1_000)
      .map(({ type }) => type);
    expect(types).toEqual(expect.arrayContaining(['REFRESH_TOKEN', 'LOGOUT']));
  });

  it('lets the console sign in only with the code flow and PKCE: no code without a challenge, no password grant', async () => {
    const authorize = authorizationUrl(issuer, { state: 'without-pkce' });
    const withoutPkce = new URL((await fetch(authorize, { redirect: 'manual' })).headers.get('location')!);
    expect(withoutPkce.searchParams.get('error')).toBe('invalid_request');
    expect(withoutPkce.searchParams.get('error_description')).toMatch(/code_challenge/);
    const passwordGrant = tokenRequest(issuer, {
      grant_type: 'password',
      client_id: CONSOLE_CLIENT,
      username: 'admin-1',
      password: STAFF['admin-1'],
    });
    await expect(passwordGrant).rejects.toThrow(/unauthorized_client/);
  });

  it('shows each staff sign-in in the provider’s events, with the person’s username', async () => {
    const admin = await as('admin-1');
    const userId = decodeJwt(admin.accessToken).sub!;
    const events = await eventually(
      () => realmEvents({ user: userId }),
      (found) => found.some(({ type, time }) => type === 'CODE_TO_TOKEN' && time >= startedAt - 1_000),
    );
    expect(events.find(({ type, time }) => type === 'LOGIN' && time >= startedAt - 1_000)).toMatchObject({
      clientId: CONSOLE_CLIENT,
      details: expect.objectContaining({ username: 'admin-1' }),
    });
  });
});
