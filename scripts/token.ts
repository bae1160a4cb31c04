/**
 * `npm run token -- --client c-0` (or `-- --role support|admin --sub emp-1`): prints a token for the local API,
 * signed with the configured JWT_SECRET (the dev secret by default), valid for JWT_MAX_LIFETIME_S.
 * Refused when NODE_ENV=production: there the bank's identity provider issues tokens.
 */
import { config } from '../platform/config.js';
import { mintDevToken, principalFromArgs } from '../platform/dev-token.js';

try {
  const principal = principalFromArgs(process.argv.slice(2));
  const { token, expiresAt } = await mintDevToken(config(), principal);
  console.error(`${principal.role} ${principal.sub}, valid until ${expiresAt}:`);
  console.log(token);
} catch (error) {
  console.error(`token: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
