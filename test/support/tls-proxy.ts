import { readFileSync } from 'node:fs';
import type { AddressInfo, Socket } from 'node:net';
import { createServer } from 'node:tls';
import type { IssuedCertificates } from './certificates.js';
import { relay } from './tcp-proxy.js';

/**
 * TLS in front of a plaintext server, as a bank's Temporal frontend (or its ingress) terminates it: the
 * certificate of `issued`, HTTP/2 offered for gRPC, and a client certificate from the same CA required
 * (mTLS). The bytes behind it are the real server's.
 */
export async function startMutualTlsProxy(
  issued: IssuedCertificates,
  target: { host: string; port: number },
) {
  const sockets = new Set<Socket>();
  const server = createServer(
    {
      pfx: readFileSync(issued.keystore),
      passphrase: issued.password,
      ca: issued.caPem,
      requestCert: true,
      rejectUnauthorized: true,
      ALPNProtocols: ['h2'],
    },
    (client) => relay(client, target, sockets),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `localhost:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
