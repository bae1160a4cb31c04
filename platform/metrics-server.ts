import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { logger } from './logger.js';
import { watchEventLoop, type EventLoopWatch } from './event-loop-watch.js';
import { registry as processRegistry } from './metrics.js';
import { Readiness } from './readiness.js';

export interface MetricsServer {
  /** The port it listens on (the one asked for, or the one given for port 0). */
  readonly port: number;
  /** Stops listening and closes the connections Prometheus keeps open. */
  stop(): Promise<void>;
}

const ROUTES = ['/metrics', '/health/live', '/health/ready'];

/** What the server answers besides the metrics: the process's readiness, and how long its loop was held up. */
export interface ProcessHealth {
  readiness: Readiness;
  loop: EventLoopWatch;
  /** Liveness fails once the event loop was held up longer than this lately. */
  maxLoopDelayMs: number;
}

const json = (response: ServerResponse, status: number, body: unknown) =>
  response.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));

async function answer(
  parts: { registry: Registry; health: ProcessHealth },
  request: IncomingMessage,
  response: ServerResponse,
) {
  const path = new URL(request.url ?? '/', 'http://metrics').pathname;
  if (!ROUTES.includes(path)) return response.writeHead(404).end();
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return response.writeHead(405, { Allow: 'GET, HEAD' }).end();
  }
  const { registry, health } = parts;
  if (path === '/health/live') {
    const delayMs = Math.round(health.loop.longestDelayMs());
    return delayMs > health.maxLoopDelayMs
      ? json(response, 503, { status: 'stalled', eventLoopDelayMs: delayMs, limitMs: health.maxLoopDelayMs })
      : json(response, 200, { status: 'live', eventLoopDelayMs: delayMs });
  }
  if (path === '/health/ready') {
    const report = await health.readiness.check();
    return json(response, report.status === 'ready' ? 200 : 503, report);
  }
  const text = await registry.metrics();
  response.writeHead(200, { 'Content-Type': registry.contentType }).end(request.method === 'GET' ? text : '');
}

/**
 * Serves the process's metrics (`GET /metrics`, Prometheus text), `GET /health/live` (the event loop answers
 * and was not held up past its bound lately) and `GET /health/ready` (every check of the roles running here
 * passes; the answer names each) on a port of their own, never on the public API's: the metrics name every
 * achievement (audience-restricted ones too), every partner and the Node version, which is for Prometheus and
 * the kubelet inside the cluster, not for anyone. One per process, whatever its roles: run together
 * (`npm start`), they report into one registry and one readiness.
 */
export async function startMetricsServer(
  port: number,
  options: { registry?: Registry; health?: Partial<ProcessHealth> } = {},
): Promise<MetricsServer> {
  const log = logger('metrics');
  const loop = options.health?.loop ?? watchEventLoop();
  const parts = {
    registry: options.registry ?? processRegistry,
    health: {
      readiness: options.health?.readiness ?? new Readiness(),
      loop,
      maxLoopDelayMs: options.health?.maxLoopDelayMs ?? 10_000,
    },
  };
  const server = createServer((request, response) => {
    answer(parts, request, response).catch((error: unknown) => {
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
        if (!options.health?.loop) loop.stop();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      }),
  };
}
