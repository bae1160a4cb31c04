import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { logger } from './logger.js';
import { registry as processRegistry } from './metrics.js';

export interface MetricsServer {
  /** The port it listens on (the one asked for, or the one given for port 0). */
  readonly port: number;
  /** Stops listening and closes the connections Prometheus keeps open. */
  stop(): Promise<void>;
}

const ROUTES = ['/metrics', '/health/live'];

async function answer(registry: Registry, request: IncomingMessage, response: ServerResponse) {
  const path = new URL(request.url ?? '/', 'http://metrics').pathname;
  if (!ROUTES.includes(path)) return response.writeHead(404).end();
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return response.writeHead(405, { Allow: 'GET, HEAD' }).end();
  }
  if (path === '/health/live') return response.writeHead(200, { 'Content-Type': 'text/plain' }).end('live');
  const text = await registry.metrics();
  response.writeHead(200, { 'Content-Type': registry.contentType }).end(request.method === 'GET' ? text : '');
}

/**
 * Serves the process's metrics (`GET /metrics`, Prometheus text) and `GET /health/live` (the process answers)
 * on a port of their own, never on the public API's: the metrics name every achievement (audience-restricted
 * ones too), every partner and the Node version, which is for Prometheus inside the cluster, not for anyone.
 * One per process, whatever its roles: run together (`npm start`), they report into one registry.
 */
export async function startMetricsServer(
  port: number,
  registry: Registry = processRegistry,
): Promise<MetricsServer> {
  const log = logger('metrics');
  const server = createServer((request, response) => {
    answer(registry, request, response).catch((error: unknown) => {
      log.error({ err: error }, 'metrics not collected');
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '0.0.0.0', () => resolve());
  });
  const listening = (server.address() as AddressInfo).port;
  log.info({ port: listening }, 'metrics listening');
  return {
    port: listening,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      }),
  };
}
