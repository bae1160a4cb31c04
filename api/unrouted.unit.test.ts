import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { describe, expect, it } from 'vitest';
import { apiDependencies } from '../test/support/api.js';
import { token } from '../test/support/tokens.js';
import { createApp } from './app.js';

const app = createApp(apiDependencies());

async function answer(method: string, path: string, headers: Record<string, string> = {}) {
  const response = await app.request(path, { method, headers });
  return {
    status: response.status,
    allow: response.headers.get('allow'),
    type: response.headers.get('content-type'),
  };
}

/** What the Node server answers: undici's Request refuses to carry TRACE, so app.request cannot send it. */
async function overTheWire(method: string, path: string) {
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const listening = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(listening));
  });
  const { port } = server.address() as AddressInfo;
  try {
    return await new Promise<{ status?: number; allow?: string; type?: string }>((resolve, reject) => {
      request({ host: '127.0.0.1', port, method, path }, (response) => {
        response.resume();
        const { allow, 'content-type': type } = response.headers;
        response.on('end', () => resolve({ status: response.statusCode, allow, type }));
      })
        .on('error', reject)
        .end();
    });
  } finally {
    server.close();
  }
}

describe('a request no route takes', () => {
  it('answers 405 problem+json with Allow when the path answers other methods', async () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
      expect(await answer(method, '/v1/catalog')).toEqual({
        status: 405,
        allow: 'GET, HEAD',
        type: 'application/problem+json',
      });
    }
    expect(await answer('GET', '/v1/partners/coffee-house/callbacks')).toMatchObject({
      status: 405,
      allow: 'POST',
    });
    expect(await answer('HEAD', '/v1/partners/coffee-house/callbacks')).toMatchObject({ status: 405 });
  });

  it('answers TRACE with 405 too', async () => {
    expect(await overTheWire('TRACE', '/v1/catalog')).toEqual({
      status: 405,
      allow: 'GET, HEAD',
      type: 'application/problem+json',
    });
  });

  it('names every method of a path with parameters, once the caller is authenticated', async () => {
    const admin = { Authorization: `Bearer ${await token({ role: 'admin', sub: 'emp-1' })}` };
    expect(await answer('PATCH', '/v1/admin/rules', admin)).toMatchObject({
      status: 405,
      allow: 'GET, HEAD, POST',
    });
    expect(await answer('DELETE', '/v1/admin/segments/vip/members', admin)).toMatchObject({
      status: 405,
      allow: 'PUT',
    });
  });

  it('answers 404 problem+json where nothing lives', async () => {
    expect(await answer('GET', '/v1/nothing-here')).toEqual({
      status: 404,
      allow: null,
      type: 'application/problem+json',
    });
    expect(await overTheWire('TRACE', '/v1/nothing-here')).toMatchObject({ status: 404 });
  });
});
