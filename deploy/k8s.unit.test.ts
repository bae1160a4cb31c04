import { readdirSync, readFileSync } from 'node:fs';
import { ScaledObject, TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Job } from 'kubernetes-models/batch/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { ConfigMap, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseConfig } from '../platform/config.js';
import { kafkaSecurity, temporalSecurity } from '../platform/connection-security.js';

const DIR = new URL('./k8s/', import.meta.url);
/** The Secret's template, apart from the manifests so that applying them never overwrites the real one. */
const SECRET_TEMPLATE = new URL('./secret-template/', import.meta.url);

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

const manifestsIn = (dir: URL) =>
  readdirSync(dir)
    .filter((file) => file.endsWith('.yaml'))
    .flatMap((file) =>
      parseAllDocuments(readFileSync(new URL(file, dir), 'utf8')).map((doc) => ({
        file,
        manifest: doc.toJS() as Manifest,
      })),
    );
const manifests = [...manifestsIn(DIR), ...manifestsIn(SECRET_TEMPLATE)];

/** Each kind we ship, as the Kubernetes API's own schema (kubernetes-models) checks it. */
const models: Record<string, new (data: never) => { validate: () => void }> = {
  'apps/v1 Deployment': Deployment,
  'batch/v1 Job': Job,
  'policy/v1 PodDisruptionBudget': PodDisruptionBudget,
  'v1 ConfigMap': ConfigMap,
  'v1 Secret': Secret,
  'v1 Service': Service,
  'v1 ServiceAccount': ServiceAccount,
  'networking.k8s.io/v1 NetworkPolicy': NetworkPolicy,
  'autoscaling/v2 HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'keda.sh/v1alpha1 ScaledObject': ScaledObject,
  'keda.sh/v1alpha1 TriggerAuthentication': TriggerAuthentication,
};

const ofKind = (kind: string) => manifests.map(({ manifest }) => manifest).filter((m) => m.kind === kind);
type PodSpec = {
  securityContext?: { runAsNonRoot?: boolean };
  containers: {
    image: string;
    args: string[];
    securityContext?: { allowPrivilegeEscalation?: boolean };
    ports?: { name: string; containerPort: number }[];
    resources?: { requests?: { cpu?: string | number } };
  }[];
};
type ServiceSpec = {
  clusterIP?: string;
  selector: Record<string, string>;
  ports: { name: string; port: number; targetPort: string | number }[];
};
const podOf = (manifest: Manifest) => (manifest.spec!.template as { spec: PodSpec }).spec;

describe('the Kubernetes manifests (deploy/k8s)', () => {
  it('are valid against the Kubernetes API schemas', () => {
    expect(manifests.length).toBeGreaterThan(0);
    for (const { file, manifest } of manifests) {
      const model = models[`${manifest.apiVersion} ${manifest.kind}`];
      expect(model, `${file}: ${manifest.apiVersion} ${manifest.kind}`).toBeDefined();
      expect(
        () => new model!(manifest as never).validate(),
        `${file}: ${manifest.metadata.name}`,
      ).not.toThrow();
    }
  });

  it('run the three roles and the migration Job from one image, as non-root, each role with its disruption budget', () => {
    const deployments = ofKind('Deployment');
    const pods = [...deployments, ...ofKind('Job')].map(podOf);
    expect(new Set(pods.map((pod) => pod.containers[0]!.image)).size).toBe(1);
    expect(pods.map((pod) => pod.containers[0]!.args).sort()).toEqual([
      ['api'],
      ['migrate'],
      ['processor'],
      ['worker'],
    ]);
    for (const pod of pods) {
      expect(pod.securityContext?.runAsNonRoot).toBe(true);
      expect(pod.containers[0]!.securityContext?.allowPrivilegeEscalation).toBe(false);
    }
    const budgets = ofKind('PodDisruptionBudget').map((b) => b.metadata.name);
    expect(budgets.sort()).toEqual(deployments.map((d) => d.metadata.name).sort());
  });

  it('probe every role over HTTP on its metrics port: started, live (its event loop), ready (its checks)', () => {
    type Probe = { httpGet?: { path: string; port: string } };
    for (const deployment of ofKind('Deployment')) {
      const container = podOf(deployment).containers[0] as unknown as Record<string, Probe>;
      const probed = ['startupProbe', 'livenessProbe', 'readinessProbe'].map(
        (probe) => `${probe} ${container[probe]?.httpGet?.path} ${container[probe]?.httpGet?.port}`,
      );
      expect(probed, deployment.metadata.name).toEqual([
        'startupProbe /health/live metrics',
        'livenessProbe /health/live metrics',
        'readinessProbe /health/ready metrics',
      ]);
    }
  });

  it('run every pod as the restricted pod security standard asks, without an API token, with resources, roles spread over nodes', () => {
    type HardenedPod = {
      serviceAccountName?: string;
      automountServiceAccountToken?: boolean;
      securityContext?: { runAsNonRoot?: boolean; seccompProfile?: { type: string } };
      topologySpreadConstraints?: { topologyKey: string }[];
      containers: {
        securityContext?: { allowPrivilegeEscalation?: boolean; capabilities?: { drop?: string[] } };
      }[];
    };
    const workloads = [...ofKind('Deployment'), ...ofKind('Job')];
    for (const workload of workloads) {
      const pod = podOf(workload) as unknown as HardenedPod;
      const name = workload.metadata.name;
      expect(pod.securityContext, name).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      for (const container of pod.containers)
        expect(container.securityContext, name).toMatchObject({
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
        });
      expect([pod.serviceAccountName, pod.automountServiceAccountToken], name).toEqual([
        'achievements-engine',
        false,
      ]);
      if (workload.kind === 'Deployment')
        expect(
          pod.topologySpreadConstraints?.map((c) => c.topologyKey),
          name,
        ).toEqual(['kubernetes.io/hostname']);
    }
    for (const workload of workloads)
      for (const container of (podOf(workload) as unknown as { containers: { resources?: unknown }[] })
        .containers)
        expect(container.resources, workload.metadata.name).toMatchObject({
          requests: { cpu: expect.anything(), memory: expect.anything() },
          limits: { memory: expect.anything() },
        });
    // A Job's template cannot change: the next release applies it anew once this one is gone.
    expect(ofKind('Job').map((job) => job.spec!.ttlSecondsAfterFinished)).toEqual([3600]);
    const [account] = ofKind('ServiceAccount') as unknown as { automountServiceAccountToken: boolean }[];
    expect(account?.automountServiceAccountToken).toBe(false);
  });

  it('let in only the API port and, from Prometheus, the metrics port', () => {
    type Policy = {
      spec: {
        podSelector: { matchLabels: Record<string, string> };
        ingress: { ports: { port: string }[] }[];
      };
    };
    const policies = ofKind('NetworkPolicy') as unknown as Policy[];
    const open = policies.map((policy) => [
      policy.spec.podSelector.matchLabels['app.kubernetes.io/component'] ?? 'every role',
      policy.spec.ingress.flatMap((rule) => rule.ports.map((port) => port.port)),
    ]);
    expect(open).toEqual([
      ['every role', ['metrics']],
      ['api', ['http']],
    ]);
  });

  it('keep the Secret out of what `kubectl apply -f deploy/k8s` applies, as a template beside it', () => {
    expect(manifestsIn(DIR).filter(({ manifest }) => manifest.kind === 'Secret')).toEqual([]);
    expect(manifestsIn(SECRET_TEMPLATE).map(({ manifest }) => manifest.metadata.name)).toEqual([
      'achievements-secrets',
    ]);
  });

  it('size the roles as docs/deploy.md does, from BENCHMARKS.md’s figures, never more processors than partitions', () => {
    const deployDoc = readFileSync(new URL('../docs/deploy.md', import.meta.url), 'utf8');
    const benchmarks = readFileSync(new URL('../BENCHMARKS.md', import.meta.url), 'utf8');
    const stated = (pattern: RegExp) => deployDoc.match(pattern)!.slice(1).map(Number);
    // Every figure of the sizing table is one BENCHMARKS.md reports.
    const sizing = deployDoc.slice(deployDoc.indexOf('| measured'), deployDoc.indexOf('**Traffic.**'));
    const figures = [...sizing.matchAll(/^\| [^|]+\| ([^|]+?) +\|$/gm)].map((row) => row[1]!).slice(2);
    expect(figures.length).toBeGreaterThan(5);
    for (const figure of figures)
      for (const part of figure.split(', ')) expect(benchmarks, figure).toContain(part);
    const [partitions] = stated(/\*\*Partitions: (\d+) per input topic\*\*/);
    const [fewestProcessors, mostProcessors] = stated(/\*\*Processors: (\d+) to (\d+)\*\*/);
    const [workers] = stated(/\*\*Workers: (\d+)\*\*/);
    const [fewestApis, mostApis] = stated(/\*\*API: (\d+) to (\d+) replicas\*\*/);
    const scaled = ofKind('ScaledObject')[0]!.spec as { minReplicaCount: number; maxReplicaCount: number };
    expect([scaled.minReplicaCount, scaled.maxReplicaCount]).toEqual([fewestProcessors, mostProcessors]);
    expect(scaled.maxReplicaCount).toBeLessThanOrEqual(partitions!);
    const api = ofKind('HorizontalPodAutoscaler')[0]!.spec as { minReplicas: number; maxReplicas: number };
    expect([api.minReplicas, api.maxReplicas]).toEqual([fewestApis, mostApis]);
    const deployment = (name: string) => ofKind('Deployment').find((d) => d.metadata.name === name)!;
    expect(deployment('achievements-worker').spec!.replicas).toBe(workers);
    // The autoscalers own the replica counts of what they scale: an apply must not reset them.
    for (const name of ['achievements-processor', 'achievements-api'])
      expect(deployment(name).spec!.replicas, name).toBeUndefined();
    const processorCpu = podOf(deployment('achievements-processor')).containers[0]!.resources?.requests?.cpu;
    expect(deployDoc).toContain(`requesting ${String(processorCpu)} core`);
  });

  it('configure the engine with settings it accepts, its secrets as files', () => {
    const data = ofKind('ConfigMap')[0]!.data!;
    const secretFiles = Object.keys(data).filter((name) => name.endsWith('_FILE'));
    expect(secretFiles.sort()).toEqual([
      'DATABASE_URL_FILE',
      'JWT_SECRET_FILE',
      'KAFKA_SASL_PASSWORD_FILE',
      'KAFKA_SSL_CA_FILE',
      'PARTNER_COFFEE_HOUSE_SECRET_FILE',
      'PARTNER_PSEUDONYM_KEY_FILE',
      'TEMPORAL_TLS_CA_FILE',
      'TEMPORAL_TLS_CERT_FILE',
      'TEMPORAL_TLS_KEY_FILE',
    ]);
    const secret = ofKind('Secret')[0]! as Manifest & { stringData: Record<string, string> };
    const values = Object.fromEntries(
      secretFiles.map((name) => [
        name.replace(/_FILE$/, ''),
        secret.stringData[data[name]!.split('/').pop()!],
      ]),
    );
    const settings = Object.fromEntries(Object.entries(data).filter(([name]) => !name.endsWith('_FILE')));
    const config = parseConfig({ ...settings, ...values });
    expect(config.NODE_ENV).toBe('production');
    // The bank's services are reached securely: TLS and SCRAM to Kafka, mTLS to Temporal, verify-full.
    expect(kafkaSecurity(config)).toMatchObject({
      ssl: { ca: [expect.any(String)] },
      sasl: { mechanism: 'scram-sha-512' },
    });
    expect(temporalSecurity(config).tls?.clientCertPair).toBeDefined();
    expect(new URL(config.DATABASE_URL).searchParams.get('sslmode')).toBe('verify-full');
    expect(config.partners.get('coffee-house')?.url).toBe(data.PARTNER_COFFEE_HOUSE_URL);
    // Staff sign in at the bank's provider over https, and two admins decide what changes clients' points.
    expect(config).toMatchObject({
      OIDC_ISSUER: expect.stringMatching(/^https:/),
      ADMIN_APPROVALS: 'four-eyes',
    });
  });

  it('serve every role’s metrics on METRICS_PORT to a Service of their own, not through the API’s', () => {
    const metricsPort = Number(ofKind('ConfigMap')[0]!.data!.METRICS_PORT);
    expect(metricsPort).toBeGreaterThan(0);
    const deployments = ofKind('Deployment');
    for (const deployment of deployments) {
      const ports = podOf(deployment).containers[0]!.ports ?? [];
      expect(ports, deployment.metadata.name).toContainEqual({ name: 'metrics', containerPort: metricsPort });
    }
    const services = ofKind('Service').map((service) => ({
      name: service.metadata.name,
      spec: service.spec as ServiceSpec,
    }));
    const metrics = services.find(({ spec }) => spec.ports.some((port) => port.targetPort === 'metrics'))!;
    expect(metrics.spec.clusterIP).toBe('None');
    for (const deployment of deployments) {
      const labels = (deployment.spec!.template as { metadata: { labels: Record<string, string> } }).metadata
        .labels;
      expect(labels, deployment.metadata.name).toMatchObject(metrics.spec.selector);
    }
    for (const { name, spec } of services.filter((service) => service !== metrics)) {
      expect(
        spec.ports.filter((port) => port.targetPort === 'metrics' || port.targetPort === metricsPort),
        name,
      ).toEqual([]);
    }
  });
});
