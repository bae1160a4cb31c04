import { SignJWT, UnsecuredJWT } from 'jose';
import { TEST_JWT_SECRET } from './api.js';

const key = new TextEncoder().encode(TEST_JWT_SECRET);
const nowS = () => Math.floor(Date.now() / 1000);

/** A token as the bank's identity provider would issue it, with every claim overridable. */
export function token(
  claims: { sub?: string; role?: string; iat?: number; exp?: number } = {},
  secret = key,
) {
  const iat = claims.iat ?? nowS();
  return new SignJWT({ role: claims.role ?? 'client' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.sub ?? 'c-1')
    .setIssuedAt(iat)
    .setExpirationTime(claims.exp ?? iat + 120)
    .sign(secret);
}

/** The token variants a caller must be refused with 401. */
export async function badTokens(): Promise<[string, string][]> {
  const past = nowS() - 3_600;
  return [
    ['malformed', 'not.a.jwt'],
    ['expired', await token({ iat: past, exp: past + 60 })],
    ['over-long', await token({ exp: nowS() + 3_600 })],
    ['forged', await token({}, new TextEncoder().encode('another-secret-of-at-least-32-characters!'))],
    [
      'alg none',
      new UnsecuredJWT({ role: 'client', iat: nowS(), exp: nowS() + 60 }).setSubject('c-1').encode(),
    ],
    ['without a role', await token({ role: 'superuser' })],
    ['issued an hour ahead', await token({ iat: nowS() + 3_600, exp: nowS() + 3_660 })],
    ['issued ten years ahead', await token({ iat: nowS() + 315_360_000, exp: nowS() + 315_360_060 })],
    ['for a subject holding NUL', await token({ sub: 'c-\u0000' })],
    ['for a subject of 129 characters', await token({ sub: 'c'.repeat(129) })],
  ];
}

/** Sends requests to `app` (a Hono app, no listening server) as `who`, a JSON body when given. */
export function requestsAs(
  app: { request: (path: string, init: RequestInit) => Response | Promise<Response> },
  who: { role: string; sub: string },
) {
  return async (method: string, path: string, body?: unknown) =>
    app.request(path, {
      method,
      headers: {
        Authorization: `Bearer ${await token(who)}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
}
