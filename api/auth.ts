import type { Context, MiddlewareHandler } from 'hono';
import { createRemoteJWKSet, decodeJwt, errors, jwtVerify, type JWTPayload } from 'jose';
import { z } from 'zod';
import { identifier } from '../platform/text.js';
import { approvalOf } from './approvals.js';
import { problem } from './problem.js';
import {
  NoStaffRole,
  ProviderUnreachable,
  StaffTokenRefused,
  staffTokens,
  type StaffIssuer,
} from './staff-tokens.js';
import { VerifiedTokens } from './verified-tokens.js';

export const ROLES = ['client', 'support', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/**
 * Who called: `sub` is the client id for role client, the employee id otherwise (CONTRACT §4); a person signed
 * in at the staff identity provider is named by their username there, and `name` is their full name.
 */
export interface Principal {
  sub: string;
  role: Role;
  name?: string;
}

export type AuthEnv = { Variables: { principal: Principal } };

export interface AuthOptions {
  /** HS256 key for local use; production verifies against `jwksUrl` instead. */
  secret?: string;
  /** The HS256 key being rotated out: a token whose signature `secret` does not verify is tried with it. */
  previousSecret?: string;
  jwksUrl?: string;
  /** The staff identity provider (OIDC): tokens it issued are verified with its keys alone (`staff.ts`). */
  oidc?: StaffIssuer;
  /**
   * Staff only through `oidc` (production): a token of the app path naming a staff role is refused, so no one
   * holding the app's key can act as an employee, nor as a second one beside their own sign-in.
   */
  staffOnlyFromOidc?: boolean;
  maxLifetimeS: number;
  /** How many verified tokens to remember (see `VerifiedTokens`); 50 000 when not given. */
  verifiedTokens?: number;
}

/** About 15 MB of HS256 tokens, 40 MB of RS256 ones: a replica's active app users over a token's life. */
const VERIFIED_TOKENS = 50_000;

/** How far the identity provider's clock may be ahead of this one. */
const CLOCK_SKEW_S = 5;

const claims = z.object({
  sub: identifier(),
  role: z.enum(ROLES),
  iat: z.number().int(),
  exp: z.number().int(),
});

class TokenRefused extends Error {}

/** Imported once: given the secret's bytes, jose imports them again for every token it verifies (profiled). */
const hmacKey = (secret: string) =>
  crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'verify',
  ]);

function verifier(options: AuthOptions) {
  const checks = (algorithms: string[]) => ({ algorithms, requiredClaims: ['exp', 'iat'] });
  if (options.jwksUrl) {
    const jwks = createRemoteJWKSet(new URL(options.jwksUrl));
    return (token: string) => jwtVerify(token, jwks, checks(['RS256', 'ES256']));
  }
  if (options.secret === undefined) throw new Error('the API needs an HS256 secret or a JWKS URL');
  const key = hmacKey(options.secret);
  const previous = options.previousSecret ? hmacKey(options.previousSecret) : undefined;
  return async (token: string) => {
    try {
      return await jwtVerify(token, await key, checks(['HS256']));
    } catch (error) {
      if (!previous || !(error instanceof errors.JWSSignatureVerificationFailed)) throw error;
      return jwtVerify(token, await previous, checks(['HS256']));
    }
  };
}

function clientPrincipalOf(payload: JWTPayload) {
  const parsed = claims.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new TokenRefused(`the token's ${issue.path.join('.') || 'claims'} is not valid: ${issue.message}`);
  }
  const { sub, role, iat, exp } = parsed.data;
  return { principal: { sub, role } satisfies Principal, iat, exp };
}

/**
 * A token may live at most `maxLifetimeS` from now, whatever its `iat` says: an `iat` in the future would
 * otherwise stretch `exp - iat ≤ max` into a token valid for years.
 */
function checkLifetime({ iat, exp }: { iat: number; exp: number }, maxLifetimeS: number, nowS: number) {
  if (iat > nowS + CLOCK_SKEW_S) throw new TokenRefused('the token is issued in the future; check the clock');
  if (exp - iat > maxLifetimeS || exp - nowS > maxLifetimeS + CLOCK_SKEW_S) {
    throw new TokenRefused(`the token lives longer than ${maxLifetimeS} s; ask for a shorter one`);
  }
}

/** The `iss` a token claims, read before any verification only to choose who verifies it. */
function claimedIssuer(token: string): string | undefined {
  try {
    return decodeJwt(token).iss;
  } catch {
    return undefined;
  }
}

/**
 * Staff tokens of the OIDC provider go to its verifier alone, every other token to the client (app) path: a
 * token claiming the provider as issuer is never tried with the app's keys, and the staff path never makes a
 * client, so neither kind is ever taken for the other.
 */
function tokenVerifier(options: AuthOptions) {
  const verifyClient = verifier(options);
  const verifyStaff = options.oidc ? staffTokens(options.oidc) : undefined;
  return async (token: string) => {
    if (verifyStaff && claimedIssuer(token) === options.oidc!.issuer) return verifyStaff(token);
    const client = clientPrincipalOf((await verifyClient(token)).payload);
    if (options.staffOnlyFromOidc && client.principal.role !== 'client')
      throw new TokenRefused(`staff sign in at the bank's identity provider (${options.oidc!.issuer})`);
    return client;
  };
}

function reasonOf(error: unknown): string {
  if (error instanceof TokenRefused || error instanceof StaffTokenRefused) return error.message;
  if (error instanceof errors.JWTExpired) return 'the token has expired; sign in again';
  if (error instanceof errors.JWTClaimValidationFailed)
    return `the token's ${error.claim} is not accepted here`;
  if (error instanceof errors.JOSEAlgNotAllowed)
    return 'the token is signed with an algorithm this API does not accept';
  return 'the token is malformed or its signature does not verify';
}

/** A 401 saying what is wrong with the token; 403 for a person with no staff role; 503 while the provider is away. */
function refusal(c: Context<AuthEnv>, error: unknown) {
  if (error instanceof NoStaffRole)
    return problem(c, { title: 'Forbidden', status: 403, detail: error.message });
  if (error instanceof ProviderUnreachable) {
    c.header('Retry-After', '5');
    const detail = `${error.message}; try again shortly`;
    return problem(c, { title: 'Service Unavailable', status: 503, detail });
  }
  c.header('WWW-Authenticate', 'Bearer');
  return problem(c, { title: 'Unauthorized', status: 401, detail: reasonOf(error) });
}

/**
 * Verifies `Authorization: Bearer <JWT>` with jose: the algorithm is pinned (so `alg: none` and key
 * confusion fail), `exp` and `iat` are required and the lifetime is capped. Any failure is a 401, but a staff
 * token of a person with no staff role (403) and a staff identity provider that does not answer (503).
 */
export function authenticate(options: AuthOptions): MiddlewareHandler<AuthEnv> {
  const verify = tokenVerifier(options);
  const verified = new VerifiedTokens(options.verifiedTokens ?? VERIFIED_TOKENS);
  return async function authenticateBearer(c, next) {
    // An approved proposal's action, sent in this process (approvals.ts): run as the admin who approved it.
    const approved = approvalOf(c);
    if (approved) {
      c.set('principal', { sub: approved.approvedBy, role: 'admin' });
      return next();
    }
    const header = c.req.header('Authorization') ?? '';
    const token = /^Bearer (\S+)$/.exec(header)?.[1];
    if (!token) return refusal(c, new TokenRefused('Send Authorization: Bearer <JWT>.'));
    const nowS = Math.floor(Date.now() / 1000);
    let principal = verified.get(token, nowS);
    if (principal === undefined) {
      try {
        const verifiedToken = await verify(token);
        checkLifetime(verifiedToken, options.maxLifetimeS, nowS);
        principal = verifiedToken.principal;
        verified.remember(token, principal, verifiedToken.exp);
      } catch (error) {
        return refusal(c, error);
      }
    }
    c.set('principal', principal);
    await next();
  };
}

/** Lets only the given roles through; a valid token of another role gets 403. */
export function requireRole(...roles: Role[]): MiddlewareHandler<AuthEnv> {
  return async function requireRoles(c, next) {
    const { role } = c.get('principal');
    if (!roles.includes(role)) {
      return problem(c, {
        title: 'Forbidden',
        status: 403,
        detail: `This needs the role ${roles.join(' or ')}; the token has ${role}.`,
      });
    }
    await next();
  };
}
