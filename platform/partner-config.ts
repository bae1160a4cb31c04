import { z } from 'zod';
import { ConfigError } from './config.js';

/** The partners a deployment configures (CONTRACT §1, `PARTNER_<ID>_…`), read apart from the engine's variables. */

/** How hard the engine may press one partner: requests at once and per second (PARTNER_<ID>_CONCURRENCY, _RATE). */
export interface PartnerLimits {
  readonly id: string;
  readonly concurrency: number;
  readonly perSecond: number;
}

export const DEFAULT_PARTNER_LIMITS = { concurrency: 8, perSecond: 20 } as const;

export interface PartnerEndpoint extends PartnerLimits {
  readonly url: string;
  readonly secret: string;
  /** PARTNER_<ID>_PREVIOUS_SECRET while a rotation is under way: callbacks signed with it still verify. */
  readonly previousSecret?: string;
}

/** `coffee-house` → `COFFEE_HOUSE`, as CONTRACT §1 names the partner variables. */
export function partnerEnvName(partnerId: string): string {
  return partnerId.toUpperCase().replaceAll('-', '_');
}

function positiveNumber(env: NodeJS.ProcessEnv, name: string, fallback: number, integer: boolean): number {
  const text = env[name];
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!(value > 0) || (integer && !Number.isInteger(value))) {
    throw new ConfigError(name, `expected a positive ${integer ? 'integer' : 'number'}, got "${text}"`);
  }
  return value;
}

export function readPartners(env: NodeJS.ProcessEnv): Map<string, PartnerEndpoint> {
  const partners = new Map<string, PartnerEndpoint>();
  for (const [name, url] of Object.entries(env)) {
    const match = /^PARTNER_([A-Z0-9_]+)_URL$/.exec(name);
    if (!match?.[1] || url === undefined) continue;
    const id = match[1].toLowerCase().replaceAll('_', '-');
    const secretName = `PARTNER_${match[1]}_SECRET`;
    const secret = env[secretName];
    if (!z.url({ protocol: /^https?$/ }).safeParse(url).success) {
      throw new ConfigError(name, `expected an http(s) URL, got "${url}"`);
    }
    if (!secret) throw new ConfigError(secretName, `required because ${name} is set`);
    const previousSecret = env[`PARTNER_${match[1]}_PREVIOUS_SECRET`];
    partners.set(id, {
      id,
      url: url.replace(/\/+$/, ''),
      secret,
      ...(previousSecret ? { previousSecret } : {}),
      concurrency: positiveNumber(
        env,
        `PARTNER_${match[1]}_CONCURRENCY`,
        DEFAULT_PARTNER_LIMITS.concurrency,
        true,
      ),
      perSecond: positiveNumber(env, `PARTNER_${match[1]}_RATE`, DEFAULT_PARTNER_LIMITS.perSecond, false),
    });
  }
  return partners;
}
