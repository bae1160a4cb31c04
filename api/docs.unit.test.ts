import { describe, expect, it } from 'vitest';
import { apiDependencies } from '../test/support/api.js';
import { createApp } from './app.js';

const app = createApp(apiDependencies());

describe('API documentation', () => {
  it('serves an OpenAPI 3.1 document generated from the route schemas', async () => {
    const response = await app.request('/openapi.json');
    expect(response.status).toBe(200);
    const document = (await response.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(document.openapi).toBe('3.1.0');
    expect(document.paths['/health']).toHaveProperty('get.responses.503');
  });

  it('serves a page that reads the document', async () => {
    const response = await app.request('/docs');
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('/openapi.json');
  });
});
