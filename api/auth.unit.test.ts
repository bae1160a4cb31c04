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
