import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { authenticate, type AuthEnv } from '../api/auth.js';
import { parseConfig } from './config.js';
import { mintDevToken, principalFromArgs, TokenRequestError } from './dev-token.js';

describe('npm run token', () => {
  it('signs for a client, or for an employee in a role', () => {
    expect(principalFromArgs(['--client', 'c-0'])).toEqual({ sub: 'c-0', role: 'client' });
    expect(principalFromArgs(['--role', 'support', '--sub', 'emp-1'])).toEqual({
      sub: 'emp-1',
      role: 'support',
    });
  });

  it.each([
    [[], /--client c-0/],
    [['--role', 'admin'], /--role admin --sub emp-1/],
    [['--role', 'boss', '--sub', 'x'], /one of client, support, admin/],
    [['--client', 'c-\u0000'], /not an id/],
  ])('refuses %j, saying what to give', (args, message) => {
    expect(() => principalFromArgs(args)).toThrow(TokenRequestError);
    expect(() => principalFromArgs(args)).toThrow(message);
  });

  it('mints a token the API accepts with the same configuration', async () => {
    const config = parseConfig({});
    const { token, expiresAt } = await mintDevToken(config, { sub: 'c-0', role: 'client' });
    const app = new Hono<AuthEnv>()
      .use('*', authenticate({ secret: config.JWT_SECRET, maxLifetimeS: config.JWT_MAX_LIFETIME_S }))
      .get('/who', (c) => c.json(c.get('principal')));
    const response = await app.request('/who', { headers: { Authorization: `Bearer ${token}` } });
    expect(await response.json()).toEqual({ sub: 'c-0', role: 'client' });
    expect(Date.parse(expiresAt) - Date.now()).toBeLessThanOrEqual(config.JWT_MAX_LIFETIME_S * 1000);
  });

  it('refuses to mint in production, even with a real secret', () => {
    const config = parseConfig({
      NODE_ENV: 'production',
      JWT_SECRET: 'a-real-secret-of-at-least-32-characters!',
      PARTNER_PSEUDONYM_KEY: 'a-real-pseudonym-key-of-at-least-32-chars',
    });
    expect(() => mintDevToken(config, { sub: 'c-0', role: 'client' })).toThrow(/not minted in production/);
  });
});
