import { readFileSync } from 'node:fs';
import { parser } from '@prometheus-io/lezer-promql';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { registry } from '../platform/metrics.js';
import { startMetricsServer } from '../platform/metrics-server.js';

const here = (path: string) => new URL(path, import.meta.url);

interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: string };
  annotations: { summary: string; runbook_url: string };
}

const alerts = (
  parse(readFileSync(here('./prometheus/alerts.yaml'), 'utf8')) as { groups: { rules: AlertRule[] }[] }
).groups.flatMap((group) => group.rules);
const dashboard = JSON.parse(readFileSync(here('./grafana/achievements.json'), 'utf8')) as {
  panels: { title: string; targets: { expr: string }[] }[];
};

/**
 * Series the engine exports: each metric's name, and a histogram's `_bucket`, `_sum` and `_count`; and `up`,
 * which Prometheus records of every scrape.
 */
async function exportedSeries(): Promise<Set<string>> {
  const names = new Set<string>(['up']);
  for (const metric of await registry.getMetricsAsJSON()) {
    names.add(metric.name);
    if (String(metric.type) === 'histogram')
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(metric.name + suffix);
  }
  return names;
}

/** Where the PromQL parser found an error, and the metrics the expression reads. */
function read(expr: string) {
  const errors: number[] = [];
  const metrics: string[] = [];
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.type.isError) errors.push(node.from);
      if (node.name === 'Identifier') metrics.push(expr.slice(node.from, node.to));
    },
  });
  return { errors, metrics };
}

const expressions = [
  ...alerts.map((rule) => ({ where: `alert ${rule.alert}`, expr: rule.expr })),
  ...dashboard.panels.flatMap((panel) =>
    panel.targets.map((target) => ({ where: `panel "${panel.title}"`, expr: target.expr })),
  ),
];

describe('the Grafana dashboard and the Prometheus alert rules', () => {
  it('are valid PromQL reading only metrics the engine exports', async () => {
    const exported = await exportedSeries();
    const problems = expressions.flatMap(({ where, expr }) => {
      const { errors, metrics } = read(expr);
      return [
        ...errors.map((at) => `${where}: PromQL error at ${at}`),
        ...metrics.filter((name) => !exported.has(name)).map((name) => `${where}: no metric ${name}`),
      ];
    });
    expect(problems).toEqual([]);
    expect(expressions.every(({ expr }) => read(expr).metrics.length > 0)).toBe(true);
  });

  it('cover what operations asked for, each alert with a severity, a summary and its runbook section', () => {
    const used = (names: string[]) =>
      names.map((name) => expressions.some(({ expr }) => expr.includes(name)));
    expect(
      used([
        'achievements_consumer_lag',
        'achievements_events_processed_total',
        'achievements_unlocks_total',
        'achievements_dlq_records_total',
        'achievements_reward_status_changes_total',
        'http_request_duration_seconds_bucket',
        'achievements_dependency_up',
        'achievements_backfill_progress_total',
        'achievements_backfills_running',
      ]),
    ).not.toContain(false);
    const runbook = readFileSync(here('../docs/runbook.md'), 'utf8');
    const anchors = new Set(
      [...runbook.matchAll(/^## (.+)$/gm)].map(([, title]) =>
        title!
          .toLowerCase()
          .replace(/[^a-z0-9 -]/g, '')
          .replaceAll(' ', '-'),
      ),
    );
    for (const rule of alerts) {
      expect(['warning', 'critical']).toContain(rule.labels.severity);
      expect(rule.annotations.summary.length).toBeGreaterThan(20);
      expect(anchors).toContain(rule.annotations.runbook_url.split('#')[1]);
    }
  });

  it('scrape every role through the metrics Service of the manifests, where the metrics server answers', async () => {
    const [job] = (
      parse(readFileSync(here('./prometheus/scrape.yaml'), 'utf8')) as {
        scrape_configs: {
          metrics_path: string;
          kubernetes_sd_configs: { role: string }[];
          relabel_configs: { action?: string; regex?: string }[];
        }[];
      }
    ).scrape_configs;
    const service = parse(readFileSync(here('./k8s/metrics.yaml'), 'utf8')) as {
      metadata: { name: string };
      spec: { ports: { name: string }[] };
    };
    const keep = new RegExp(`^(?:${job!.relabel_configs.find((rule) => rule.action === 'keep')!.regex})$`);
    expect(job!.kubernetes_sd_configs).toEqual([{ role: 'endpoints' }]);
    expect(keep.test(`${service.metadata.name};${service.spec.ports[0]!.name}`)).toBe(true);
    const server = await startMetricsServer(0);
    try {
      const scraped = await fetch(`http://127.0.0.1:${server.port}${job!.metrics_path}`);
      expect(scraped.status).toBe(200);
    } finally {
      await server.stop();
    }
  });
});
