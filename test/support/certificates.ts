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

const storeArgs = (dir: string, name: string, password: string) => [
  ...['-keystore', join(dir, name), '-storetype', 'PKCS12', '-storepass', password],
];

/** A key pair in `name` under `alias`, its certificate signed by the CA of `ca.p12`, linked into `name`. */
function signedKeyPair(
  dir: string,
  password: string,
  alias: string,
  name: string,
  commonName: string,
  extra: string[],
) {
  const store = (file: string) => storeArgs(dir, file, password);
  const file = (base: string) => join(dir, base);
  keytool([
    ...['-genkeypair', '-alias', alias, '-keyalg', 'RSA', '-keysize', '2048', '-validity', '1'],
    ...['-dname', `CN=${commonName}`, ...store(name)],
  ]);
  keytool(['-certreq', '-alias', alias, '-file', file(`${alias}.csr`), ...store(name)]);
  keytool([
    ...['-gencert', '-rfc', '-alias', 'ca', '-validity', '1', ...extra],
    ...['-infile', file(`${alias}.csr`), '-outfile', file(`${alias}.pem`), ...store('ca.p12')],
  ]);
  // The chain goes in CA first, so keytool can link the signed certificate to the key.
  keytool(['-importcert', '-noprompt', '-alias', 'ca', '-file', file('ca.pem'), ...store(name)]);
  keytool(['-importcert', '-alias', alias, '-file', file(`${alias}.pem`), ...store(name)]);
}

/** A client certificate and its key, PEM, as a service presents them for mTLS. */
export interface ClientCertificate {
  certFile: string;
  keyFile: string;
}

/** Issues, in `dir`, a CA valid for a day and a certificate for `localhost` and 127.0.0.1 signed by it. */
export function issueServerCertificate(dir: string, password = 'test-store-password'): IssuedCertificates {
  const store = (name: string) => storeArgs(dir, name, password);
  const file = (name: string) => join(dir, name);
  keytool([
    ...['-genkeypair', '-alias', 'ca', '-keyalg', 'RSA', '-keysize', '2048', '-validity', '1'],
    ...['-dname', 'CN=Test bank CA', '-ext', 'bc:c', ...store('ca.p12')],
  ]);
  keytool(['-exportcert', '-rfc', '-alias', 'ca', '-file', file('ca.pem'), ...store('ca.p12')]);
  signedKeyPair(dir, password, 'server', 'server.p12', 'localhost', [
    '-ext',
    'SAN=dns:localhost,ip:127.0.0.1',
  ]);
  keytool(['-importcert', '-noprompt', '-alias', 'ca', '-file', file('ca.pem'), ...store('trust.p12')]);
  return {
    caPem: readFileSync(file('ca.pem'), 'utf8'),
    caFile: file('ca.pem'),
    keystore: file('server.p12'),
    truststore: file('trust.p12'),
    password,
  };
}

/**
 * Issues a client certificate for `name` signed by the CA of `issued`; its key is taken out of the keystore
 * as PEM with openssl (keytool never exports a private key).
 */
export function issueClientCertificate(
  dir: string,
  issued: IssuedCertificates,
  name: string,
): ClientCertificate {
  signedKeyPair(dir, issued.password, name, `${name}.p12`, name, []);
  const keyFile = join(dir, `${name}.key`);
  execFileSync('openssl', [
    ...['pkcs12', '-in', join(dir, `${name}.p12`), '-nocerts', '-nodes'],
    ...['-passin', `pass:${issued.password}`, '-out', keyFile],
  ]);
  return { certFile: join(dir, `${name}.pem`), keyFile };
}
