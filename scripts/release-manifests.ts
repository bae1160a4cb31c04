/**
 * `npm run release:manifests -- --version 0.2.0 --image registry.bank.example/achievements-engine@sha256:…
 * [--out release/k8s]`: writes deploy/k8s for that release, its image pinned by digest (docs/deploy.md).
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pinnedManifest, ReleaseRefused } from './release-pinning.js';
import { REPO_ROOT } from './stack/paths.js';

const { values } = parseArgs({
  options: {
    version: { type: 'string', default: '' },
    image: { type: 'string', default: '' },
    out: { type: 'string', default: join(REPO_ROOT, 'release', 'k8s') },
  },
});
const from = join(REPO_ROOT, 'deploy', 'k8s');
try {
  const files = readdirSync(from).filter((file) => file.endsWith('.yaml'));
  const written = files.map((file) => ({
    file,
    text: pinnedManifest(readFileSync(join(from, file), 'utf8'), {
      image: values.image,
      version: values.version,
    }),
  }));
  mkdirSync(values.out, { recursive: true });
  for (const { file, text } of written) writeFileSync(join(values.out, file), text);
  console.log(`release ${values.version}: ${files.length} manifests in ${values.out}, image ${values.image}`);
} catch (error) {
  if (!(error instanceof ReleaseRefused)) throw error;
  console.error(`release:manifests: ${error.message}`);
  process.exitCode = 2;
}
