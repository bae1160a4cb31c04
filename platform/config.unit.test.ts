import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEV_JWT_SECRET, LOCAL_DATABASE_URL, parseConfig } from './config.js';
import { partnerEnvName } from './partner-config.js';

describe('configuration from the environment', () => {
  it('gives the CONTRACT §1 local defaults when nothing is set', () => {
    const config = parseConfig({});
    expect(config).toMatchObject({
      KAFKA_BROKERS: ['127.0.0.1:9092'],
      DATABASE_URL: LOCAL_DATABASE_URL,
      TEMPORAL_ADDRESS: '127.0.0.1:7233',
      TEMPORAL_NAMESPACE: 'default',
      PORT: 8080,
      BANK_TIME_ZONE: 'Europe/Kyiv',
      JWT_SECRET: DEV_JWT_SECRET,
      JWT_MAX_LIFETIME_S: 300,
      PARTNER_CALLBACK_TIMEOUT: 24 * 3_600_000,
    });
    expect(config.partners.size).toBe(0);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads a broker list and a duration', () => {
    const config = parseConfig({ KAFKA_BROKERS: 'k1:9092, k2:9093', PARTNER_CALLBACK_TIMEOUT: '90s' });
    expect(config.KAFKA_BROKERS).toEqual(['k1:9092', 'k2:9093']);
    expect(config.PARTNER_CALLBACK_TIMEOUT).toBe(90_000);
  });

  it.each([
    ['PORT', 'eighty', /PORT/],
    ['KAFKA_BROKERS', 'no-port', /KAFKA_BROKERS.*host:port/],
    ['BANK_TIME_ZONE', 'Mars/Olympus', /BANK_TIME_ZONE.*IANA/],
    ['PARTNER_CALLBACK_TIMEOUT', 'tomorrow', /PARTNER_CALLBACK_TIMEOUT.*duration/],
    ['DATABASE_URL', 'mysql://x', /DATABASE_URL/],
    ['JWT_SECRET', 'short', /JWT_SECRET.*32/],
    ['REPLAY_THREADS', '-1', /REPLAY_THREADS/],
  ])('fails fast naming %s when it is "%s"', (variable, value, message) => {
    expect(() => parseConfig({ [variable]: value })).toThrow(ConfigError);
    expect(() => parseConfig({ [variable]: value })).toThrow(message);
  });

  it('collects partners from PARTNER_<ID>_URL and _SECRET pairs', () => {
    const config = parseConfig({
      PARTNER_COFFEE_HOUSE_URL: 'http://127.0.0.1:9400/',
      PARTNER_COFFEE_HOUSE_SECRET: 's3cret',
    });
    expect(config.partners.get('coffee-house')).toEqual({
      id: 'coffee-house',
      url: 'http://127.0.0.1:9400',
      secret: 's3cret',
      concurrency: 8,
      perSecond: 20,
    });
    expect(partnerEnvName('coffee-house')).toBe('COFFEE_HOUSE');
  });

  it('reads the partner secret being rotated out from PARTNER_<ID>_PREVIOUS_SECRET', () => {
    const config = parseConfig({
      PARTNER_COFFEE_HOUSE_URL: 'http://127.0.0.1:9400',
      PARTNER_COFFEE_HOUSE_SECRET: 'new',
      PARTNER_COFFEE_HOUSE_PREVIOUS_SECRET: 'old',
    });
    expect(config.partners.get('coffee-house')).toMatchObject({ secret: 'new', previousSecret: 'old' });
  });

  it('bounds each partner by its own concurrency and rate, and refuses nonsense', () => {
    const pair = { PARTNER_COFFEE_HOUSE_URL: 'http://127.0.0.1:9400', PARTNER_COFFEE_HOUSE_SECRET: 's' };
    const config = parseConfig({
      ...pair,
      PARTNER_COFFEE_HOUSE_CONCURRENCY: '2',
      PARTNER_COFFEE_HOUSE_RATE: '0.5',
    });
    expect(config.partners.get('coffee-house')).toMatchObject({ concurrency: 2, perSecond: 0.5 });
    expect(() => parseConfig({ ...pair, PARTNER_COFFEE_HOUSE_CONCURRENCY: '1.5' })).toThrow(
      /PARTNER_COFFEE_HOUSE_CONCURRENCY: expected a positive integer/,
    );
    expect(() => parseConfig({ ...pair, PARTNER_COFFEE_HOUSE_RATE: '-1' })).toThrow(
      /PARTNER_COFFEE_HOUSE_RATE/,
    );
    expect(parseConfig({}).PARTNER_RETRY_WINDOW).toBe(6 * 3_600_000);
  });

  it('refuses a partner URL without its secret, naming the missing variable', () => {
    expect(() => parseConfig({ PARTNER_COFFEE_HOUSE_URL: 'http://127.0.0.1:9400' })).toThrow(
      /PARTNER_COFFEE_HOUSE_SECRET/,
    );
  });

  it('sizes the API’s rule evaluation threads, their queue and budget, and refuses nonsense', () => {
    expect(parseConfig({})).toMatchObject({
      RULE_EVALUATION_THREADS: 1,
      RULE_EVALUATION_QUEUE: 4,
      RULE_EVALUATION_BUDGET: 5_000,
    });
    expect(
      parseConfig({ RULE_EVALUATION_THREADS: '3', RULE_EVALUATION_QUEUE: '0', RULE_EVALUATION_BUDGET: '2s' }),
    ).toMatchObject({ RULE_EVALUATION_THREADS: 3, RULE_EVALUATION_QUEUE: 0, RULE_EVALUATION_BUDGET: 2_000 });
    expect(() => parseConfig({ RULE_EVALUATION_THREADS: '0' })).toThrow(/RULE_EVALUATION_THREADS/);
    expect(() => parseConfig({ RULE_EVALUATION_BUDGET: 'soon' })).toThrow(/RULE_EVALUATION_BUDGET.*duration/);
  });

  it('refuses the dev-only JWT secret and pseudonym key in production', () => {
    const pseudonyms = { PARTNER_PSEUDONYM_KEY: 'a-production-key-of-at-least-32-characters' };
    expect(() => parseConfig({ NODE_ENV: 'production', ...pseudonyms })).toThrow(/JWT_SECRET/);
    const jwks = { JWT_JWKS_URL: 'https://idp.bank/jwks' };
    expect(() => parseConfig({ NODE_ENV: 'production', ...jwks })).toThrow(/PARTNER_PSEUDONYM_KEY/);
    expect(parseConfig({ NODE_ENV: 'production', ...jwks, ...pseudonyms }).NODE_ENV).toBe('production');
  });

  it('is four-eyes unless told otherwise, and refuses single-admin mode in production', () => {
    expect(parseConfig({}).ADMIN_APPROVALS).toBe('four-eyes');
    expect(parseConfig({ ADMIN_APPROVALS: 'single' }).ADMIN_APPROVALS).toBe('single');
    const production = {
      NODE_ENV: 'production',
      JWT_JWKS_URL: 'https://idp.bank/jwks',
      PARTNER_PSEUDONYM_KEY: 'a-production-key-of-at-least-32-characters',
    };
    expect(() => parseConfig({ ...production, ADMIN_APPROVALS: 'single' })).toThrow(
      /ADMIN_APPROVALS.*four-eyes/,
    );
    expect(parseConfig({ ...production, ADMIN_PROPOSAL_TTL: '4h' }).ADMIN_PROPOSAL_TTL).toBe(4 * 3_600_000);
    expect(() => parseConfig({ ...production, OIDC_ISSUER: 'http://idp.bank/realms/staff' })).toThrow(
      /OIDC_ISSUER.*https/,
    );
  });

  it('reads loyalty tiers and the public base URL', () => {
    const config = parseConfig({
      LOYALTY_TIERS: 'silver=200, gold=900',
      PUBLIC_BASE_URL: 'https://api.bank/',
    });
    expect(config.LOYALTY_TIERS).toEqual({ silver: 200, gold: 900 });
    expect(config.PUBLIC_BASE_URL).toBe('https://api.bank');
    expect(parseConfig({ PORT: '9000' }).PUBLIC_BASE_URL).toBe('http://127.0.0.1:9000');
    expect(() => parseConfig({ LOYALTY_TIERS: 'gold=1' })).toThrow(/LOYALTY_TIERS/);
    expect(parseConfig({}).CORS_ORIGINS).toEqual([]);
    expect(parseConfig({ CORS_ORIGINS: 'https://app.bank, https://ops.bank' }).CORS_ORIGINS).toHaveLength(2);
    expect(() => parseConfig({ CORS_ORIGINS: 'app.bank' })).toThrow(/CORS_ORIGINS/);
  });

  it('signs staff in at the local Keycloak by default, and at no provider in production unless told', () => {
    expect(parseConfig({})).toMatchObject({
      OIDC_ISSUER: 'http://127.0.0.1:8180/realms/achievements',
      OIDC_AUDIENCE: 'achievements-api',
      OIDC_CLIENT_ID: 'achievements-console',
    });
    const production = {
      NODE_ENV: 'production',
      JWT_JWKS_URL: 'https://sso.bank.example/jwks',
      PARTNER_PSEUDONYM_KEY: 'a-production-key-of-at-least-32-characters',
    };
    expect(parseConfig(production).OIDC_ISSUER).toBeUndefined();
    const issuer = 'https://sso.bank.example/realms/staff';
    expect(parseConfig({ ...production, OIDC_ISSUER: issuer }).OIDC_ISSUER).toBe(issuer);
    expect(() => parseConfig({ OIDC_ISSUER: 'sso.bank.example' })).toThrow(/OIDC_ISSUER/);
  });

  describe('secrets from files (NAME_FILE, as Kubernetes Secrets and Vault agents provide them)', () => {
    const secretFile = (content: string) => {
      const path = join(mkdtempSync(join(tmpdir(), 'secret-')), 'value');
      writeFileSync(path, content);
      return path;
    };

    it('reads a variable from its file, the final newline dropped, partner secrets too', () => {
      const config = parseConfig({
        JWT_SECRET_FILE: secretFile('a-secret-from-a-file-of-at-least-32-chars\n'),
        PARTNER_COFFEE_HOUSE_URL: 'http://127.0.0.1:9400',
        PARTNER_COFFEE_HOUSE_SECRET_FILE: secretFile('coffee-secret'),
      });
      expect(config.JWT_SECRET).toBe('a-secret-from-a-file-of-at-least-32-chars');
      expect(config.partners.get('coffee-house')?.secret).toBe('coffee-secret');
    });

    it('refuses a variable set both ways, and a file it cannot read, naming the variable', () => {
      const both = { JWT_SECRET: 'x'.repeat(32), JWT_SECRET_FILE: secretFile('y'.repeat(32)) };
      expect(() => parseConfig(both)).toThrow(/JWT_SECRET_FILE: set JWT_SECRET or JWT_SECRET_FILE, not both/);
      // Another program's *_FILE is left alone.
      expect(parseConfig({ TF_CLI_CONFIG_FILE: '/nonexistent/terraformrc' }).PORT).toBe(8080);
      expect(() => parseConfig({ JWT_SECRET_FILE: '/nonexistent/jwt' })).toThrow(
        /JWT_SECRET_FILE: cannot read \/nonexistent\/jwt: ENOENT/,
      );
    });
  });
});
