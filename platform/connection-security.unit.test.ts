import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './config.js';
import { kafkaSecurity, temporalSecurity } from './connection-security.js';

const CA = '-----BEGIN CERTIFICATE-----\nMIIBca\n-----END CERTIFICATE-----\n';
const CERT = '-----BEGIN CERTIFICATE-----\nMIIBclient\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIEkey\n-----END PRIVATE KEY-----\n';

/** Secrets as a Kubernetes Secret mounts them: one file each. */
function mounted(files: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'secrets-'));
  return Object.fromEntries(
    Object.entries(files).map(([name, content]) => {
      writeFileSync(join(dir, name), content);
      return [name, join(dir, name)];
    }),
  );
}

describe('securing the connections to a bank’s Kafka and Temporal', () => {
  it('adds nothing for the local stack', () => {
    const config = parseConfig({});
    expect(kafkaSecurity(config)).toEqual({});
    expect(temporalSecurity(config)).toEqual({});
  });

  it('connects to Kafka over TLS with SCRAM-SHA-512, the CA and password read from files', () => {
    const files = mounted({ 'ca.pem': CA, password: 'scram-password\n' });
    const config = parseConfig({
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: files['ca.pem'],
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'achievements',
      KAFKA_SASL_PASSWORD_FILE: files.password,
    });
    expect(kafkaSecurity(config)).toEqual({
      ssl: { ca: [CA.replace(/\n$/, '')] },
      sasl: { mechanism: 'scram-sha-512', username: 'achievements', password: 'scram-password' },
    });
  });

  it('presents a client certificate to Kafka when one is configured', () => {
    const config = parseConfig({ KAFKA_SSL: 'true', KAFKA_SSL_CERT: CERT, KAFKA_SSL_KEY: KEY });
    expect(kafkaSecurity(config)).toEqual({ ssl: { cert: CERT, key: KEY } });
  });

  it('connects to Temporal with mTLS, or with a Temporal Cloud API key', () => {
    const mtls = parseConfig({
      TEMPORAL_TLS: 'true',
      TEMPORAL_TLS_CA: CA,
      TEMPORAL_TLS_CERT: CERT,
      TEMPORAL_TLS_KEY: KEY,
      TEMPORAL_TLS_SERVER_NAME: 'temporal.bank.internal',
    });
    expect(temporalSecurity(mtls)).toEqual({
      tls: {
        serverRootCACertificate: Buffer.from(CA),
        clientCertPair: { crt: Buffer.from(CERT), key: Buffer.from(KEY) },
        serverNameOverride: 'temporal.bank.internal',
      },
    });
    const cloud = parseConfig({ TEMPORAL_TLS: 'true', TEMPORAL_API_KEY: 'cloud-api-key' });
    expect(temporalSecurity(cloud)).toEqual({ tls: {}, apiKey: 'cloud-api-key' });
  });

  it.each([
    [{ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'a' }, /KAFKA_SASL_PASSWORD: required/],
    [{ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_PASSWORD: 'p' }, /KAFKA_SASL_USERNAME: required/],
    [{ KAFKA_SASL_MECHANISM: 'gssapi' }, /KAFKA_SASL_MECHANISM/],
    [{ KAFKA_SSL_CA: CA }, /KAFKA_SSL: required to be true when KAFKA_SSL_CA is set/],
    [{ KAFKA_SSL: 'yes' }, /KAFKA_SSL: expected true or false/],
    [{ KAFKA_SSL: 'true', KAFKA_SSL_CA: 'not a certificate' }, /KAFKA_SSL_CA: expected PEM/],
    [{ KAFKA_SSL: 'true', KAFKA_SSL_CERT: CERT }, /KAFKA_SSL_KEY: required/],
    [
      { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'a', KAFKA_SASL_PASSWORD: 'p' },
      /KAFKA_SSL: required to be true for PLAIN/,
    ],
    [{ TEMPORAL_TLS: 'true', TEMPORAL_TLS_KEY: KEY }, /TEMPORAL_TLS_CERT: required/],
    [{ TEMPORAL_TLS_CERT: CERT, TEMPORAL_TLS_KEY: KEY }, /TEMPORAL_TLS: required to be true/],
  ])('refuses a half-configured connection: %o', (env, message) => {
    expect(() => parseConfig(env)).toThrow(ConfigError);
    expect(() => parseConfig(env)).toThrow(message);
  });
});
