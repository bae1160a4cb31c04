import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A test CA and a server certificate it signed, made with the JDK's `keytool` as a bank's PKI would issue. */
export interface IssuedCertificates {
  /** The CA certificate, PEM: what clients trust. */
  caPem: string;
  caFile: string;
  /** A PKCS12 keystore with the server's key and its chain, and a truststore holding only the CA. */
  keystore: string;
  truststore: string;
  password: string;
}

const keytool = (args: string[]) => execFileSync('keytool', args, { stdio: ['ignore', 'pipe', 'pipe'] });

/** Issues, in `dir`, a CA valid for a day and a certificate for `localhost` and 127.0.0.1 signed by it. */
export function issueServerCertificate(dir: string, password = 'test-store-password'): IssuedCertificates {
  const store = (name: string) => [
    '-keystore',
    join(dir, name),
    '-storetype',
    'PKCS12',
    '-storepass',
    password,
  ];
  const file = (name: string) => join(dir, name);
  const newKey = (alias: string, name: string, extra: string[]) =>
    keytool([
      '-genkeypair',
      '-alias',
      alias,
      '-keyalg',
      'RSA',
      '-keysize',
      '2048',
      '-validity',
      '1',
      ...extra,
      ...store(name),
    ]);
  newKey('ca', 'ca.p12', ['-dname', 'CN=Test bank CA', '-ext', 'bc:c']);
  keytool(['-exportcert', '-rfc', '-alias', 'ca', '-file', file('ca.pem'), ...store('ca.p12')]);
  newKey('server', 'server.p12', ['-dname', 'CN=localhost']);
  keytool(['-certreq', '-alias', 'server', '-file', file('server.csr'), ...store('server.p12')]);
  keytool([
    ...['-gencert', '-rfc', '-alias', 'ca', '-validity', '1', '-ext', 'SAN=dns:localhost,ip:127.0.0.1'],
    ...['-infile', file('server.csr'), '-outfile', file('server.pem'), ...store('ca.p12')],
  ]);
  // The chain goes in CA first, so keytool can link the signed certificate to the server's key.
  keytool(['-importcert', '-noprompt', '-alias', 'ca', '-file', file('ca.pem'), ...store('server.p12')]);
  keytool(['-importcert', '-alias', 'server', '-file', file('server.pem'), ...store('server.p12')]);
  keytool(['-importcert', '-noprompt', '-alias', 'ca', '-file', file('ca.pem'), ...store('trust.p12')]);
  return {
    caPem: readFileSync(file('ca.pem'), 'utf8'),
    caFile: file('ca.pem'),
    keystore: file('server.p12'),
    truststore: file('trust.p12'),
    password,
  };
}
