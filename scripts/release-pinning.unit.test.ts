import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { IMAGE_BY_TAG, pinnedManifest, ReleaseRefused } from './release-pinning.js';

const DIR = new URL('../deploy/k8s/', import.meta.url);
const manifests = readdirSync(DIR)
  .filter((file) => file.endsWith('.yaml'))
  .map((file) => readFileSync(new URL(file, DIR), 'utf8'));
const DIGEST = `registry.bank.example/achievements-engine@sha256:${'ab12'.repeat(16)}`;

describe('a release’s manifests', () => {
  it('pin every pod’s image by digest and name the migration Job after the release', () => {
    const released = manifests
      .map((text) => pinnedManifest(text, { image: DIGEST, version: '0.2.0' }))
      .join('\n');
    const images = [...released.matchAll(/image: (\S+)/g)].map((match) => match[1]);
    expect(images.length).toBe([...manifests.join('\n').matchAll(/image: /g)].length);
    expect(new Set(images)).toEqual(new Set([DIGEST]));
    expect(released).not.toContain(IMAGE_BY_TAG);
    expect(released).toContain('name: achievements-migrate-0-2-0');
  });

  it('refuse an image named by tag alone, or a version that is not x.y.z', () => {
    expect(() => pinnedManifest(manifests[0]!, { image: IMAGE_BY_TAG, version: '0.2.0' })).toThrow(
      ReleaseRefused,
    );
    expect(() => pinnedManifest(manifests[0]!, { image: DIGEST, version: 'latest' })).toThrow(ReleaseRefused);
  });
});
