import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Hono } from 'hono';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { TEST_JWT_SECRET } from '../test/support/api.js';
import { token } from '../test/support/tokens.js';
import { authenticate, type AuthEnv } from './auth.js';

describe('authenticate against a JWKS (production)', () => {
  let jwksUrl: string;
  let close: () => void;
  let privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    privateKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'bank-1', alg: 'RS256', use: 'sig' };
    const server = createServer((_, response) =>
      response.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
    close = () => server.close();
  });

  afterAll(() => close());

  const app = () =>
    new Hono<AuthEnv>()
      .use('*', authenticate({ jwksUrl, maxLifetimeS: 300 }))
      .get('/who', (c) => c.json(c.get('principal')));

  it('accepts a token signed by the identity provider’s key', async () => {
    const iat = Math.floor(Date.now() / 1000);
    const jwt = await new SignJWT({ role: 'support' })
      .setProtectedHeader({ alg: 'RS256', kid: 'bank-1' })
      .setSubject('e-3')
      .setIssuedAt(iat)
      .setExpirationTime(iat + 60)
      .sign(privateKey);
    const response = await app().request('/who', { headers: { Authorization: `Bearer ${jwt}` } });
    expect(await response.json()).toEqual({ sub: 'e-3', role: 'support' });
  });

  it('refuses an HS256 token, even one signed with the dev secret', async () => {
    const response = await app().request('/who', { headers: { Authorization: `Bearer ${await token()}` } });
    expect(response.status).toBe(401);
  });
});

describe('authenticate with HS256 while the secret is rotated', () => {
  const NEW_SECRET = 'the-new-secret-of-at-least-32-characters';
  const who = (options: { secret: string; previousSecret?: string }) =>
    new Hono<AuthEnv>()
      .use('*', authenticate({ ...options, maxLifetimeS: 300 }))
      .get('/who', (c) => c.json(c.get('principal')));
  const statusWith = async (app: ReturnType<typeof who>, jwt: string) =>
    (await app.request('/who', { headers: { Authorization: `Bearer ${jwt}` } })).status;

  it('accepts tokens of the new and of the previous secret, and refuses others', async () => {
    const app = who({ secret: NEW_SECRET, previousSecret: TEST_JWT_SECRET });
    expect(await statusWith(app, await token({}, new TextEncoder().encode(NEW_SECRET)))).toBe(200);
    expect(await statusWith(app, await token())).toBe(200);
    const forged = await token({}, new TextEncoder().encode('a-third-secret-of-at-least-32-characters'));
    expect(await statusWith(app, forged)).toBe(401);
  });

  it('refuses tokens of the previous secret once it is unset', async () => {
    expect(await statusWith(who({ secret: NEW_SECRET }), await token())).toBe(401);
  });
});

describe('authenticate a token the app sends again', () => {
  const who = (verifiedTokens?: number) =>
    new Hono<AuthEnv>()
      .use(
        '*',
        authenticate({
          secret: TEST_JWT_SECRET,
          maxLifetimeS: 300,
          ...(verifiedTokens ? { verifiedTokens } : {}),
        }),
      )
      .get('/who', (c) => c.json(c.get('principal')));
  const ask = (app: ReturnType<typeof who>, jwt: string) =>
    app.request('/who', { headers: { Authorization: `Bearer ${jwt}` } });

  afterEach(() => {
    vi.restoreAllMocks();
    vi.useRealTimers();
  });

  it('checks its signature once, and answers for the same subject and role each time', async () => {
    const app = who();
    const jwt = await token({ sub: 'e-7', role: 'support' });
    const signatures = vi.spyOn(crypto.subtle, 'verify');
    for (let i = 0; i < 3; i++)
      expect(await (await ask(app, jwt)).json()).toEqual({ sub: 'e-7', role: 'support' });
    expect(signatures).toHaveBeenCalledTimes(1);
  });

  it('refuses it once it has expired, though it was accepted before', async () => {
    const app = who();
    const iat = Math.floor(Date.now() / 1000);
    const jwt = await token({ iat, exp: iat + 60 });
    expect((await ask(app, jwt)).status).toBe(200);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime((iat + 60) * 1000);
    const refused = await ask(app, jwt);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ detail: 'the token has expired; sign in again' });
  });

  it('verifies a token that differs by one character anew, and refuses it when forged', async () => {
    const app = who();
    const jwt = await token({ sub: 'c-8' });
    expect((await ask(app, jwt)).status).toBe(200);
    const [header, payload] = jwt.split('.');
    const other = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), sub: 'c-9' }),
    );
    expect((await ask(app, `${header}.${other.toString('base64url')}.${jwt.split('.')[2]}`)).status).toBe(
      401,
    );
  });

  it('forgets the token verified longest ago past its bound', async () => {
    const app = who(2);
    const tokens = await Promise.all(['c-1', 'c-2', 'c-3'].map((sub) => token({ sub })));
    for (const jwt of tokens) await ask(app, jwt);
    const signatures = vi.spyOn(crypto.subtle, 'verify');
    await ask(app, tokens[2]!);
    expect(signatures).toHaveBeenCalledTimes(0);
    await ask(app, tokens[0]!);
    expect(signatures).toHaveBeenCalledTimes(1);
  });
});

describe('authenticate staff tokens of the OIDC identity provider', () => {
  const AUDIENCE = 'achievements-api';
  let issuer: string;
  let close: () => void;
  let providerKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  let otherKey: typeof providerKey;
  let discoveries = 0;
  let providerDown = false;

  // A provider as small as the API needs: its discovery document naming its JWKS, and the JWKS.
  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    providerKey = pair.privateKey;
    otherKey = (await generateKeyPair('RS256')).privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'realm-1', alg: 'RS256', use: 'sig' };
    const server = createServer((request, response) => {
      const json = (body: unknown) =>
        response.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
      if (providerDown) return response.writeHead(503).end();
      if (request.url === '/realms/staff/.well-known/openid-configuration') {
        discoveries += 1;
        return json({ issuer, jwks_uri: `${issuer}/protocol/openid-connect/certs` });
      }
      if (request.url === '/realms/staff/protocol/openid-connect/certs') return json({ keys: [jwk] });
      response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/realms/staff`;
    close = () => server.close();
  });

  afterAll(() => close());

  const app = (oidc = { issuer, audience: AUDIENCE }) =>
    new Hono<AuthEnv>()
      .use('*', authenticate({ secret: TEST_JWT_SECRET, oidc, maxLifetimeS: 300 }))
      .get('/who', (c) => c.json(c.get('principal')));
  const ask = (jwt: string, to = app()) =>
    to.request('/who', { headers: { Authorization: `Bearer ${jwt}` } });

  /** An access token as Keycloak issues it, every part overridable. */
  function staffToken(
    claims: Record<string, unknown> = {},
    options: { key?: typeof providerKey; lifetimeS?: number } = {},
  ) {
    const iat = Math.floor(Date.now() / 1000);
    return new SignJWT({
      typ: 'Bearer',
      azp: 'achievements-console',
      preferred_username: 'admin-1',
      name: 'Olena Kovalenko',
      realm_access: { roles: ['admin', 'offline_access'] },
      ...claims,
    })
      .setProtectedHeader({ alg: 'RS256', kid: 'realm-1' })
      .setIssuer((claims.iss as string | undefined) ?? issuer)
      .setAudience((claims.aud as string | undefined) ?? AUDIENCE)
      .setSubject('5f0c6f0e-8a3e-4c1e-9a56-2d6f2c1b7e11')
      .setIssuedAt(iat)
      .setExpirationTime(iat + (options.lifetimeS ?? 300))
      .sign(options.key ?? providerKey);
  }

  it('names the person by their username and full name, with the role the provider gives them', async () => {
    const response = await ask(await staffToken());
    expect(await response.json()).toEqual({ sub: 'admin-1', role: 'admin', name: 'Olena Kovalenko' });
    const support = await ask(
      await staffToken({ preferred_username: 'support-1', realm_access: { roles: ['support'] } }),
    );
    expect(await support.json()).toMatchObject({ sub: 'support-1', role: 'support' });
  });

  it('refuses staff roles on the app path when staff sign in only at the provider (production), not client tokens', async () => {
    const strict = new Hono<AuthEnv>()
      .use(
        '*',
        authenticate({
          secret: TEST_JWT_SECRET,
          oidc: { issuer, audience: AUDIENCE },
          staffOnlyFromOidc: true,
          maxLifetimeS: 300,
        }),
      )
      .get('/who', (c) => c.json(c.get('principal')));
    const minted = await ask(await token({ role: 'admin', sub: 'admin-2' }), strict);
    expect(minted.status).toBe(401);
    expect(await minted.json()).toMatchObject({ detail: expect.stringContaining('identity provider') });
    expect((await ask(await token({ role: 'client', sub: 'c-1' }), strict)).status).toBe(200);
    expect(await (await ask(await staffToken(), strict)).json()).toMatchObject({
      sub: 'admin-1',
      role: 'admin',
    });
    expect((await ask(await token({ role: 'admin', sub: 'admin-2' }))).status).toBe(200);
  });

  it('takes admin over support for a person holding both', async () => {
    const both = await staffToken({ realm_access: { roles: ['support', 'admin'] } });
    expect(await (await ask(both)).json()).toMatchObject({ role: 'admin' });
  });

  it('refuses a person with neither staff role with 403, and a token naming no role claim at all likewise', async () => {
    for (const claims of [{ realm_access: { roles: ['offline_access'] } }, { realm_access: undefined }]) {
      const refused = await ask(await staffToken(claims));
      expect(refused.status).toBe(403);
      expect(refused.headers.get('content-type')).toBe('application/problem+json');
      expect(await refused.json()).toMatchObject({
        detail: expect.stringContaining('neither the support nor'),
      });
    }
  });

  it('never takes a `role` claim from a staff token: a client role in it grants nothing', async () => {
    const response = await ask(await staffToken({ role: 'client', realm_access: { roles: ['support'] } }));
    expect(await response.json()).toMatchObject({ role: 'support' });
  });

  it('refuses another audience, another key, an ID token, a token without a username, and one living too long', async () => {
    const refused = {
      'another audience': await staffToken({ aud: 'account' }),
      'another key': await staffToken({}, { key: otherKey }),
      'an ID token': await staffToken({ typ: 'ID', aud: AUDIENCE }),
      'no username': await staffToken({ preferred_username: undefined }),
      'living an hour': await staffToken({}, { lifetimeS: 3_600 }),
    };
    for (const [what, jwt] of Object.entries(refused)) {
      const response = await ask(jwt);
      expect(response.status, what).toBe(401);
    }
  });

  it('never verifies a token claiming the provider with the app’s secret, nor a provider token as an app token', async () => {
    const iat = Math.floor(Date.now() / 1000);
    const hs256 = await new SignJWT({
      role: 'admin',
      preferred_username: 'admin-1',
      realm_access: { roles: ['admin'] },
    })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(issuer)
      .setAudience(AUDIENCE)
      .setSubject('emp-1')
      .setIssuedAt(iat)
      .setExpirationTime(iat + 60)
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));
    expect((await ask(hs256)).status).toBe(401);
    const otherIssuer = await staffToken({ iss: 'http://127.0.0.1:1/realms/another' });
    expect((await ask(otherIssuer)).status).toBe(401);
  });

  it('keeps app tokens on their own path, unchanged', async () => {
    expect(await (await ask(await token({ sub: 'c-5' }))).json()).toEqual({ sub: 'c-5', role: 'client' });
  });

  it('reads the discovery document once, not per token', async () => {
    const shared = app();
    const before = discoveries;
    for (const name of ['admin-1', 'admin-2', 'support-1'])
      await ask(await staffToken({ preferred_username: name }), shared);
    expect(discoveries - before).toBe(1);
  });

  it('answers 503 with Retry-After while the provider cannot be reached, and recovers once it answers', async () => {
    const closed = `http://127.0.0.1:${await closedPort()}/realms/staff`;
    const response = await ask(
      await staffToken({ iss: closed }),
      app({ issuer: closed, audience: AUDIENCE }),
    );
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    const recovering = app();
    providerDown = true;
    try {
      expect((await ask(await staffToken(), recovering)).status).toBe(503);
    } finally {
      providerDown = false;
    }
    expect((await ask(await staffToken(), recovering)).status).toBe(200);
  });

  it('answers 503 when the provider calls itself by another issuer than the one configured', async () => {
    const misnamed = app({ issuer: `${issuer}/`, audience: AUDIENCE });
    const response = await ask(await staffToken({ iss: `${issuer}/` }), misnamed);
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({
      detail: expect.stringContaining(`calls itself ${issuer},`),
    });
  });
});

/** A loopback port nothing listens on. */
async function closedPort() {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
