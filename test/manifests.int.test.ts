import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ensureKubeTools,
  KUBE_SCORE,
  KUBECONFORM,
  KUBERNETES_VERSION,
  POD_SECURITY,
  SCHEMA_LOCATION,
} from '../scripts/stack/kube-tools.js';

const MANIFESTS = fileURLToPath(new URL('../deploy/k8s/', import.meta.url));
const SECRET_TEMPLATE = fileURLToPath(new URL('../deploy/secret-template/', import.meta.url));
const files = (dir: string) =>
  readdirSync(dir)
    .filter((file) => file.endsWith('.yaml'))
    .map((file) => join(dir, file));

/** Runs a tool to its end, whatever its exit code: its output and the code. */
function run(command: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(command, args, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, out: `${stdout}${stderr}` }),
    );
  });
}

/** The manifests with one document changed by `edit`, in a folder of their own. */
function changedCopy(file: string, edit: (text: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), 'manifests-'));
  const copy = join(dir, file);
  writeFileSync(copy, edit(readFileSync(join(MANIFESTS, file), 'utf8')));
  return copy;
}

const kubeconform = (paths: string[]) =>
  run(KUBECONFORM, [
    '-strict',
    '-summary',
    '-kubernetes-version',
    KUBERNETES_VERSION,
    '-schema-location',
    SCHEMA_LOCATION,
    // KEDA's kinds have no schema among Kubernetes's: deploy/k8s.unit.test.ts checks them against KEDA's own.
    '-skip',
    'ScaledObject,TriggerAuthentication',
    ...paths,
  ]);

/**
 * kube-score's warnings we keep, each for a reason: replicas spread over nodes by topologySpreadConstraints
 * (not a pod anti-affinity, which would leave pods unscheduled on a small cluster); egress left open on purpose
 * (deploy/k8s/access.yaml: Kafka, PostgreSQL, Temporal and the partners are the bank's to place); and the
 * processors' replica count, which KEDA sets (kube-score knows HPAs, not ScaledObjects).
 */
const EXPLAINED_WARNINGS = [
  'achievements-api apps/v1/Deployment: Deployment does not have a host podAntiAffinity set',
  'achievements-api apps/v1/Deployment: The pod does not have a matching egress NetworkPolicy',
  'achievements-migrate-0-1-0 batch/v1/Job: The pod does not have a matching egress NetworkPolicy',
  'achievements-processor apps/v1/Deployment: Deployment does not have a host podAntiAffinity set',
  'achievements-processor apps/v1/Deployment: Deployment few replicas',
  'achievements-processor apps/v1/Deployment: The pod does not have a matching egress NetworkPolicy',
  'achievements-worker apps/v1/Deployment: Deployment does not have a host podAntiAffinity set',
  'achievements-worker apps/v1/Deployment: The pod does not have a matching egress NetworkPolicy',
];

describe('the manifests as a platform team checks them before go-live', () => {
  // The first run on a machine builds the tools from the Go module proxy and fetches the schemas from PyPI.
  beforeAll(async () => {
    await ensureKubeTools();
  }, 900_000);

  it('are valid against the Kubernetes API schemas, strictly (kubeconform)', async () => {
    const valid = await kubeconform([...files(MANIFESTS), ...files(SECRET_TEMPLATE)]);
    console.log(`kubeconform: ${valid.out.trim()}`);
    expect(valid).toEqual({ code: 0, out: expect.stringMatching(/Invalid: 0, Errors: 0, Skipped: 2/) });
    // A field the API does not know is refused, not ignored.
    const typo = changedCopy('worker.yaml', (text) => text.replace('  replicas:', '  replica:'));
    expect(await kubeconform([typo])).toEqual({ code: 1, out: expect.stringMatching(/Invalid: 1/) });
  });

  it('run every pod as a namespace enforcing the restricted pod security standard admits it (pod-security-admission)', async () => {
    const admitted = await run(POD_SECURITY, ['-level', 'restricted', ...files(MANIFESTS)]);
    console.log(`pod-security:\n${admitted.out.trim()}`);
    expect(admitted.code).toBe(0);
    expect(admitted.out.trim().split('\n')).toHaveLength(4);
    const unconfined = changedCopy('api.yaml', (text) =>
      text.replace('seccompProfile: { type: RuntimeDefault }', 'seccompProfile: { type: Unconfined }'),
    );
    const refused = await run(POD_SECURITY, ['-level', 'restricted', unconfined]);
    expect(refused).toEqual({ code: 1, out: expect.stringMatching(/refused at restricted: seccompProfile/) });
  });

  it('leave kube-score no critical finding, and only the warnings explained here', async () => {
    const scored = await run(KUBE_SCORE, ['score', '--output-format', 'ci', ...files(MANIFESTS)]);
    const findings = scored.out
      .split('\n')
      .filter((line) => /^\[(CRITICAL|WARNING)\]/.test(line))
      .sort();
    console.log(`kube-score:\n${findings.join('\n')}`);
    expect(findings.filter((line) => line.startsWith('[CRITICAL]'))).toEqual([]);
    expect(findings.map((line) => line.replace('[WARNING] ', ''))).toEqual(EXPLAINED_WARNINGS);
  });
});
