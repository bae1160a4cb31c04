import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { freePort, killGroup, startRole, type Child, type EngineRole } from '../scripts/children.js';
import { ensurePrometheus, PROMETHEUS, PROMTOOL } from '../scripts/stack/prometheus.js';
import { eventually, produceEvents } from './support/engine.js';
import { purchase } from './support/events.js';
import { ownEngine, type OwnEngine } from './support/roles.js';
import { migratedSchema, testKafka, uniqueName } from './support/stack.js';
import { startTcpProxy } from './support/tcp-proxy.js';

const run = promisify(execFile);
const RULES_DIR = new URL('../deploy/prometheus/', import.meta.url);
const LAG_ALERT = 'AchievementsConsumerLagGrowing';

interface AlertRule {
  alert: string;
  expr: string;
  for: string;
}

/**
 * deploy/prometheus/alerts.yaml with the lag alert brought down to a test's scale: the same expression over a
 * lag above 100 (not 10,000) growing within 30 s (not 10 min), firing after 5 s (not 10 min).
 */
function rulesAtTestScale(): string {
  const rules = parse(readFileSync(new URL('alerts.yaml', RULES_DIR), 'utf8')) as {
    groups: { rules: AlertRule[] }[];
  };
  const lag = rules.groups.flatMap((group) => group.rules).find((rule) => rule.alert === LAG_ALERT)!;
  lag.expr = lag.expr.replace('> 10000', '> 100').replace('[10m]', '[30s]');
  lag.for = '5s';
  return stringify(rules);
}

interface PrometheusAlert {
  labels: { alertname: string; topic?: string };
  state: 'pending' | 'firing';
  annotations: { runbook_url: string };
}

describe('the alert rules, checked by promtool and evaluated by a real Prometheus scraping the roles', () => {
  const kafka = testKafka();
  const roles: Child[] = [];
  let db: Awaited<ReturnType<typeof migratedSchema>>;
  let engine: OwnEngine;
  let prometheus: ChildProcess | undefined;
  let proxy: Awaited<ReturnType<typeof startTcpProxy>> | undefined;

  // The first run on a machine builds Prometheus and promtool from the Go module proxy.
  beforeAll(async () => {
    await ensurePrometheus();
    db = await migratedSchema();
    engine = await ownEngine(kafka, db.schema);
  }, 900_000);

  afterAll(async () => {
    for (const role of roles) killGroup(role);
    prometheus?.kill('SIGKILL');
    await proxy?.close();
    await db?.drop();
  });

  it('are valid, and each fires when its unit tests say and stays silent otherwise (promtool)', async () => {
    const rules = new URL('alerts.yaml', RULES_DIR).pathname;
    const checked = await run(PROMTOOL, ['check', 'rules', rules]);
    expect(checked.stdout).toMatch(/SUCCESS: 14 rules found/);
    const tested = await run(PROMTOOL, ['test', 'rules', 'alerts.test.yaml'], { cwd: RULES_DIR.pathname });
    expect(tested.stdout).toMatch(/SUCCESS/);
  });

  it('fires the lag alert while a processor cannot commit, and resolves it once it catches up', async () => {
    // The processor reaches PostgreSQL through a relay the test cuts: its batches fail and are retried in place
    // (the process lives on), the records it cannot commit pile up in Kafka.
    const url = new URL(inject('databaseUrl'));
    proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port) });
    url.port = String(proxy.port);
    const start = async (role: EngineRole, env: Record<string, string> = {}) => {
      const child = await startRole(role, { ...engine.env, ...env });
      roles.push(child);
      return child;
    };
    const targets = [
      { role: 'processor', child: await start('processor', { DATABASE_URL: url.toString() }) },
      { role: 'worker', child: await start('worker') },
      { role: 'api', child: await start('api', { PORT: String(await freePort()) }) },
    ];

    const home = mkdtempSync(join(tmpdir(), 'prometheus-'));
    writeFileSync(join(home, 'alerts.yaml'), rulesAtTestScale());
    writeFileSync(
      join(home, 'prometheus.yaml'),
      stringify({
        global: { scrape_interval: '1s', evaluation_interval: '1s' },
        rule_files: ['alerts.yaml'],
        scrape_configs: [
          {
            job_name: 'achievements-engine',
            static_configs: targets.map(({ role, child }) => ({
              targets: [new URL(child.metricsUrl).host],
              labels: { role, pod: `${role}-0` },
            })),
          },
        ],
      }),
    );
    const port = await freePort();
    prometheus = spawn(
      PROMETHEUS,
      [
        `--config.file=${join(home, 'prometheus.yaml')}`,
        `--storage.tsdb.path=${join(home, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: 'ignore' },
    );
    const api = `http://127.0.0.1:${port}/api/v1`;
    const ask = async <T>(path: string) =>
      ((await (await fetch(`${api}/${path}`)).json()) as { data: T }).data;
    /** An instant query's series, each with its value (none while Prometheus is not up yet). */
    const query = (promql: string) =>
      ask<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(
        `query?query=${encodeURIComponent(promql)}`,
      ).then(
        ({ result }) => result,
        () => [],
      );
    const alerts = async () =>
      (await ask<{ alerts: PrometheusAlert[] }>('alerts').catch(() => ({ alerts: [] }))).alerts.filter(
        (alert) => alert.labels.alertname === LAG_ALERT,
      );

    // Prometheus scrapes every role.
    await eventually(
      () => query('up{job="achievements-engine"}'),
      (result) => result.length === 3 && result.every((series) => series.value[1] === '1'),
      60_000,
      1_000,
    );

    await proxy.cut();
    const writing = { on: true };
    const load = (async () => {
      while (writing.on) {
        await produceEvents(
          kafka,
          engine.inputs,
          Array.from({ length: 20 }, () =>
            purchase({ clientId: uniqueName('c'), time: new Date().toISOString() }),
          ),
        );
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    })();
    const firing = await eventually(
      alerts,
      (found) => found.some((alert) => alert.state === 'firing'),
      180_000,
      1_000,
    );
    console.log(`Prometheus's /api/v1/alerts while the processor is stalled: ${JSON.stringify(firing)}`);
    expect(firing).toEqual([
      expect.objectContaining({
        labels: expect.objectContaining({ topic: engine.topics.transactions }),
        state: 'firing',
        annotations: expect.objectContaining({ runbook_url: 'docs/runbook.md#scaling-out' }),
      }),
    ]);

    writing.on = false;
    await load;
    await proxy.restore();
    await eventually(alerts, (found) => found.length === 0, 180_000, 1_000);
    // The alert resolves once the lag stops growing; the lag reaches 0 once the processor committed its catch-up
    // (Kafka's offsets move with each checkpoint, and the lag is measured every 10 s).
    await eventually(
      () => query(`sum(achievements_consumer_lag{topic="${engine.topics.transactions}"})`),
      (lag) => lag.length === 1 && lag[0]!.value[1] === '0',
      60_000,
      1_000,
    );
  }, 420_000);
});
