/**
 * The tools a bank's platform team validates manifests with before go-live, built offline from the Go module
 * proxy and PyPI into the stack cache: kubeconform (strict, with the Kubernetes API's JSON schemas of the PyPI
 * package kubernetes-validate, no download at run time), kube-score, and scripts/pod-security (the upstream
 * pod-security-admission evaluator, as a namespace enforcing "restricted" runs it).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE_DIR, REPO_ROOT } from './paths.js';
import { goBuild } from './go-build.js';
import { runQuietly } from './processes.js';

const KUBECONFORM_VERSION = 'v0.8.0';
const KUBE_SCORE_VERSION = 'v1.20.0';
const SCHEMAS_VERSION = '1.37.0';
const BIN = join(CACHE_DIR, `kube-tools-${KUBECONFORM_VERSION}-${KUBE_SCORE_VERSION}`, 'bin');
const SCHEMAS_HOME = join(CACHE_DIR, `kubernetes-validate-${SCHEMAS_VERSION}`);
/** The strict schemas of the version, as kubeconform reads them (see `forKubeconform`). */
const SCHEMAS = join(SCHEMAS_HOME, 'kubeconform');

export const KUBECONFORM = join(BIN, 'kubeconform');
export const KUBE_SCORE = join(BIN, 'kube-score');
const POD_SECURITY_SOURCE = join(REPO_ROOT, 'scripts', 'pod-security');
/** Built again whenever its source changes: the cached binary is named after the source's hash. */
export const POD_SECURITY = join(
  CACHE_DIR,
  `pod-security-${sourceHash(POD_SECURITY_SOURCE)}`,
  'pod-security',
);
/** The Kubernetes version the manifests are checked against, as kubeconform names it. */
export const KUBERNETES_VERSION = SCHEMAS_VERSION;
/** kubeconform's `-schema-location` over the cached schemas (`…-local-strict/deployment-apps-v1.json`). */
export const SCHEMA_LOCATION = join(
  SCHEMAS,
  '{{ .NormalizedKubernetesVersion }}-local{{ .StrictSuffix }}',
  '{{ .ResourceKind }}{{ .KindSuffix }}.json',
);

/**
 * kubernetes-validate's schemas name their shared definitions by URL (`$id` https://kubernetes.io/api/…, `$ref`
 * /api/_definitions.json), which kubernetes-validate preloads; kubeconform loads files, so each schema is
 * written again without its `$id`, its references pointing at the `_definitions.json` beside it.
 */
function forKubeconform(version: string) {
  const from = join(
    SCHEMAS_HOME,
    'kubernetes_validate',
    'kubernetes-json-schema',
    `v${version}-local-strict`,
  );
  // Written aside, then moved in whole: an interrupted run leaves nothing that looks finished.
  const partial = `${SCHEMAS}.partial`;
  rmSync(partial, { recursive: true, force: true });
  const to = join(partial, `v${version}-local-strict`);
  mkdirSync(to, { recursive: true });
  for (const file of readdirSync(from).filter((name) => name.endsWith('.json'))) {
    const text = readFileSync(join(from, file), 'utf8').replaceAll(
      '"/api/_definitions.json#',
      '"_definitions.json#',
    );
    const { $id: _id, ...schema } = JSON.parse(text) as Record<string, unknown>;
    writeFileSync(join(to, file), JSON.stringify(schema));
  }
  renameSync(partial, SCHEMAS);
}

function sourceHash(directory: string) {
  const hash = createHash('sha256');
  for (const file of readdirSync(directory).sort())
    hash.update(file).update(readFileSync(join(directory, file)));
  return hash.digest('hex').slice(0, 16);
}

const quietly = (command: string, args: string[], options?: { cwd?: string; env?: NodeJS.ProcessEnv }) =>
  runQuietly('kube-tools', command, args, options);

/** Builds or finds the three tools and the schemas. */
export async function ensureKubeTools(): Promise<void> {
  if (!existsSync(KUBECONFORM) || !existsSync(KUBE_SCORE)) {
    console.log(
      `kube-tools: building kubeconform ${KUBECONFORM_VERSION} and kube-score ${KUBE_SCORE_VERSION}`,
    );
    // Two installs: `go install` takes packages of one module at a time.
    for (const tool of [
      `github.com/yannh/kubeconform/cmd/kubeconform@${KUBECONFORM_VERSION}`,
      `github.com/zegl/kube-score/cmd/kube-score@${KUBE_SCORE_VERSION}`,
    ])
      await goBuild('kube-tools', ['install', tool], { gobin: BIN });
  }
  if (!existsSync(POD_SECURITY)) {
    console.log('kube-tools: building scripts/pod-security');
    await goBuild('kube-tools', ['build', '-o', POD_SECURITY, '.'], { cwd: POD_SECURITY_SOURCE });
  }
  if (!existsSync(SCHEMAS)) {
    console.log(`kube-tools: the Kubernetes ${SCHEMAS_VERSION} schemas from PyPI (kubernetes-validate)`);
    mkdirSync(SCHEMAS_HOME, { recursive: true });
    const wheel = `kubernetes_validate-${SCHEMAS_VERSION}-py3-none-any.whl`;
    // pip from a virtualenv of its own: a machine's python3 need not carry pip itself.
    await quietly('python3', ['-m', 'venv', join(SCHEMAS_HOME, 'venv')]);
    await quietly(join(SCHEMAS_HOME, 'venv', 'bin', 'pip'), [
      'download',
      '--disable-pip-version-check',
      '--no-deps',
      '--dest',
      SCHEMAS_HOME,
      `kubernetes-validate==${SCHEMAS_VERSION}`,
    ]);
    await quietly('python3', ['-m', 'zipfile', '-e', join(SCHEMAS_HOME, wheel), SCHEMAS_HOME]);
    forKubeconform(SCHEMAS_VERSION);
  }
}
