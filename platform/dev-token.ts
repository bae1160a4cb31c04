import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import { ROLES, type Principal, type Role } from '../api/auth.js';
import { ConfigError, type Config } from './config.js';
import { isIdentifier } from './text.js';

export class TokenRequestError extends Error {}

/**
 * Who `npm run token` signs for: `--client <id>` (role client, the client id as `sub`), or `--role
 * support|admin --sub <employee id>` (CONTRACT §4).
 */
export function principalFromArgs(args: string[]): Principal {
  const { values } = parseArgs({
    args,
    options: { client: { type: 'string' }, role: { type: 'string' }, sub: { type: 'string' } },
    strict: true,
  });
  const role = (values.role ?? 'client') as Role;
  if (!ROLES.includes(role)) {
    throw new TokenRequestError(`--role must be one of ${ROLES.join(', ')}, got "${values.role}"`);
  }
  const sub = role === 'client' ? (values.client ?? values.sub) : values.sub;
  if (sub === undefined) {
    throw new TokenRequestError(
      role === 'client' ? 'name the client: --client c-0' : `name the employee: --role ${role} --sub emp-1`,
    );
  }
  if (!isIdentifier(sub)) {
    throw new TokenRequestError(
      `${JSON.stringify(sub)} is not an id the API accepts (1 to 128 visible characters)`,
    );
  }
  return { sub, role };
}

/** A token the API accepts, signed with the configured HS256 secret; refused in production. */
export function mintDevToken(config: Config, principal: Principal, nowMs = Date.now()) {
  if (config.NODE_ENV === 'production') {
    throw new ConfigError(
      'NODE_ENV',
      'tokens are not minted in production: the bank’s identity provider issues them',
    );
  }
  const iat = Math.floor(nowMs / 1000);
  const exp = iat + config.JWT_MAX_LIFETIME_S;
  return new SignJWT({ role: principal.role })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(principal.sub)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(new TextEncoder().encode(config.JWT_SECRET))
    .then((token) => ({ token, expiresAt: new Date(exp * 1000).toISOString() }));
}
