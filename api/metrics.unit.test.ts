import { describe, expect, it } from 'vitest';
import { apiDependencies } from '../test/support/api.js';
import { createApp } from './app.js';

describe('GET /metrics', () => {
  it('serves Prometheus text with HTTP latency by route and the engine’s own metrics', async () => {
    const app = createApp(apiDependencies());
    await app.request('/v1/catalog');
    const response = await app.request('/metrics');
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toMatch(
      /http_request_duration_seconds_count\{method="GET",route="\/v1\/catalog",status="200"\} [1-9]/,
    );
    for (const name of [
      'achievements_events_processed_total',
      'achievements_unlocks_total',
      'achievements_dlq_records_total',
      'achievements_cached_actors',
      'achievements_consumer_lag',
      'achievements_reward_workflows_started_total',
    ]) {
      expect(text).toContain(`# TYPE ${name}`);
    }
  });
});
