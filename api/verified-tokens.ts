import type { Principal } from './auth.js';

/**
 * Tokens already verified, with who they name, until they expire. The app sends the same token with every
 * request of its life, and verifying its signature each time was a tenth of the busiest read's time
 * (profiled: WebCrypto runs each HMAC as a job on the thread pool). A hit is the very bytes verified before,
 * so it stands for everything that verification proved; only the expiry moves on, and it is checked again.
 * A signing key withdrawn from the JWKS is therefore honoured until its tokens expire, at most the lifetime
 * the API allows. Bounded: past `max` tokens, the one verified longest ago is forgotten.
 */
export class VerifiedTokens {
  private readonly tokens = new Map<string, { principal: Principal; expS: number }>();

  constructor(private readonly max: number) {}

  /** Who a token verified before names, unless it has expired by `nowS` (as jose judges: at `exp` or after). */
  get(token: string, nowS: number): Principal | undefined {
    const known = this.tokens.get(token);
    if (known === undefined) return undefined;
    if (nowS < known.expS) return known.principal;
    this.tokens.delete(token);
    return undefined;
  }

  remember(token: string, principal: Principal, expS: number) {
    if (this.tokens.size >= this.max) this.tokens.delete(this.tokens.keys().next().value!);
    this.tokens.set(token, { principal, expS });
  }

  get size(): number {
    return this.tokens.size;
  }
}
