import { describe, expect, it } from 'vitest';
import { registry } from '../platform/metrics.js';
import { apiDependencies } from '../test/support/api.js';
import { createApp } from './app.js';

describe('the API’s metrics', () => {
  it('are not served by the public API, nor in its OpenAPI document', async () => {
    const app = createApp(apiDependencies());
    const response = await app.request('/metrics');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    const document = (await (await app.request('/openapi.json')).json()) as { paths: object };
    expect(Object.keys(document.paths)).not.toContain('/metrics');
  });

  it('time each request by its route, into the registry the metrics server serves', async () => {
    await createApp(apiDependencies()).request('/v1/catalog');
    expect(await registry.metrics()).toMatch(
      /http_request_duration_seconds_count\{method="GET",route="\/v1\/catalog",status="200"\} [1-9]/,
    );
  });
});
