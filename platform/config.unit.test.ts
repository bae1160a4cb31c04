import { describe, expect, it } from 'vitest';
import { ConfigError, DEV_JWT_SECRET, LOCAL_DATABASE_URL, parseConfig, partnerEnvName } from './config.js';

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
    });
    expect(partnerEnvName('coffee-house')).toBe('COFFEE_HOUSE');
  });

  it('refuses a partner URL without its secret, naming the missing variable', () => {
    expect(() => parseConfig({ PARTNER_COFFEE_HOUSE_URL: 'http://127.0.0.1:9400' })).toThrow(
      /PARTNER_COFFEE_HOUSE_SECRET/,
    );
  });

  it('refuses the dev-only JWT secret in production', () => {
    expect(() => parseConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET/);
    expect(parseConfig({ NODE_ENV: 'production', JWT_JWKS_URL: 'https://idp.bank/jwks' }).NODE_ENV).toBe(
      'production',
    );
  });
});
