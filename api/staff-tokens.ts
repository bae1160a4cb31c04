import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import { z } from 'zod';
import { identifier } from '../platform/text.js';
import type { Principal } from './auth.js';

/** The staff identity provider (OpenID Connect): who issues staff tokens, and the audience they must name. */
export interface StaffIssuer {
  /** Exactly the `iss` of its tokens and the `issuer` of its discovery document. */
  issuer: string;
  /** The API's name in the tokens' `aud` (an audience mapper puts it there). */
  audience: string;
}

/** A staff token that verifies but cannot be used: what is wrong is the message. */
export class StaffTokenRefused extends Error {}

/** The person signed in, but the provider gives them neither the support nor the admin role. */
export class NoStaffRole extends Error {}

/** The provider's discovery document or keys could not be read: nobody's staff token can be checked now. */
export class ProviderUnreachable extends Error {}

const TIMEOUT_MS = 5_000;

/** Asymmetric algorithms only: the provider's public keys must never double as an HMAC secret. */
const ALGORITHMS = ['RS256', 'PS256', 'ES256'];

const discovery = z.object({ issuer: z.string(), jwks_uri: z.url() });

const claims = z.object({
  preferred_username: identifier(),
  name: z.string().min(1).max(200).optional(),
  /** Keycloak marks its ID and refresh tokens with another `typ`: only an access token opens the API. */
  typ: z.literal('Bearer').optional(),
  realm_access: z.object({ roles: z.array(z.string()) }).optional(),
  iat: z.number().int(),
  exp: z.number().int(),
});

/** Finds the provider's key set through its discovery document, as OpenID Connect Discovery 1.0 says. */
async function discoverKeys(issuer: string) {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) }).catch((error: unknown) => {
    throw new ProviderUnreachable(`the identity provider does not answer at ${url}`, { cause: error });
  });
  if (!response.ok)
    throw new ProviderUnreachable(`the identity provider answers ${response.status} at ${url}`);
  const document = discovery.safeParse(await response.json().catch(() => undefined));
  if (!document.success) throw new ProviderUnreachable(`${url} is not an OpenID Connect discovery document`);
  // A provider naming itself otherwise would issue tokens this API never routes here: a configuration error.
  if (document.data.issuer !== issuer) {
    throw new ProviderUnreachable(
      `the provider at ${url} calls itself ${document.data.issuer}, not ${issuer}`,
    );
  }
  return createRemoteJWKSet(new URL(document.data.jwks_uri), { timeoutDuration: TIMEOUT_MS });
}

/** jose's own failures to fetch the key set, as opposed to a token its keys refuse. */
const unreachable = (error: unknown) =>
  error instanceof errors.JWKSTimeout ||
  error instanceof TypeError ||
  (error instanceof errors.JOSEError && error.constructor === errors.JOSEError);

/** Admin wins over support; any other role of the provider's means nothing here. */
function roleOf(roles: readonly string[]): Principal['role'] {
  if (roles.includes('admin')) return 'admin';
  if (roles.includes('support')) return 'support';
  throw new NoStaffRole('your account at the identity provider has neither the support nor the admin role');
}

function principalOf(payload: JWTPayload) {
  const parsed = claims.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new StaffTokenRefused(
      `the staff token's ${issue.path.join('.') || 'claims'} is not valid: ${issue.message}`,
    );
  }
  const { preferred_username: sub, name, realm_access: access, iat, exp } = parsed.data;
  const principal: Principal = { sub, role: roleOf(access?.roles ?? []), ...(name ? { name } : {}) };
  return { principal, iat, exp };
}

/**
 * Verifies access tokens of the staff identity provider: signed by a key of its JWKS (found once through its
 * discovery document, refreshed by jose when an unknown `kid` appears), issued by it, for this API. The person
 * is named by their username there (`preferred_username`), so the audit log names them; their role comes from
 * the provider's realm roles (`realm_access.roles`), never from a claim a client token could carry.
 */
export function staffTokens(staff: StaffIssuer) {
  let keys: ReturnType<typeof discoverKeys> | undefined;
  const keySet = () => {
    keys ??= discoverKeys(staff.issuer).catch((error: unknown) => {
      keys = undefined; // asked again with the next staff token, once the provider is back
      throw error;
    });
    return keys;
  };
  return async function verifyStaffToken(token: string) {
    const jwks = await keySet();
    const checks = {
      issuer: staff.issuer,
      audience: staff.audience,
      algorithms: ALGORITHMS,
      requiredClaims: ['exp', 'iat'],
    };
    const { payload } = await jwtVerify(token, jwks, checks).catch((error: unknown) => {
      if (!unreachable(error)) throw error;
      throw new ProviderUnreachable('the identity provider’s keys cannot be read', { cause: error });
    });
    return principalOf(payload);
  };
}
