import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * Pipes `client` to a new connection to `target` and back, each side closing the other; both are kept in
 * `sockets` while open, so the caller can cut them.
 */
export function relay(client: Socket, target: { host: string; port: number }, sockets: Set<Socket>) {
  const upstream = connect(target.port, target.host);
  for (const socket of [client, upstream]) {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  }
  client.pipe(upstream).pipe(client);
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
}

/**
 * A TCP relay in front of a real server, for cutting the network between the engine and it: `cut()` drops
 * every open connection and refuses new ones, as a server that went down does; `restore()` listens again on
 * the same port; `freeze()` silences the open connections without closing them. No protocol is imitated: the
 * bytes are the real server's.
 */
export async function startTcpProxy(target: { host: string; port: number }) {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve) => {
      server = createServer((client) => {
        relay(client, target, sockets);
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as AddressInfo).port;
        resolve();
      });
    });
  const close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      if (server) server.close(() => resolve());
      else resolve();
      server = undefined;
    });
  await listen();
  /** Stops passing bytes on the open connections, which stay open: a network that went silent. */
  const freeze = () => {
    for (const socket of sockets) socket.pause();
  };
  return { port, cut: close, restore: listen, close, freeze };
}
