import { describe, expect, it, vi } from 'vitest';
import { checkHealth } from './health.js';
import { metrics } from './metrics.js';

const answers = () => Promise.resolve();
const refuses = () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:55432'));

describe('checkHealth', () => {
  it('is up when every dependency answers', async () => {
    const report = await checkHealth({ kafka: answers, postgres: answers, temporal: answers });
    expect(report.status).toBe('up');
    expect(Object.values(report.dependencies).map((d) => d.status)).toEqual(['up', 'up', 'up']);
  });

  it('is down and names the dependency that does not answer, with its error', async () => {
    const report = await checkHealth({ kafka: answers, postgres: refuses, temporal: answers });
    expect(report.status).toBe('down');
    expect(report.dependencies.postgres).toMatchObject({
      status: 'down',
      error: expect.stringContaining('ECONNREFUSED'),
    });
    expect(report.dependencies.kafka.status).toBe('up');
    // The dependency-down alert (deploy/prometheus/alerts.yaml) reads the same answer from /metrics.
    const up = (await metrics.dependencyUp.get()).values.map((v) => [v.labels.dependency, v.value]);
    expect(Object.fromEntries(up)).toEqual({ kafka: 1, postgres: 0, temporal: 1 });
  });

  it('counts a dependency that hangs as down after the probe timeout', async () => {
    vi.useFakeTimers();
    const hangs = () => new Promise<void>(() => undefined);
    const pending = checkHealth({ kafka: hangs, postgres: answers, temporal: answers });
    await vi.advanceTimersByTimeAsync(2_000);
    const report = await pending;
    vi.useRealTimers();
    expect(report.dependencies.kafka).toMatchObject({
      status: 'down',
      error: expect.stringMatching(/no answer/),
    });
  });
});
