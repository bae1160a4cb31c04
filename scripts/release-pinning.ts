/**
 * A release's manifests: deploy/k8s with the image pinned by digest, as the bank's registry reported it when
 * the release was pushed (a tag can be moved to another image; a digest cannot), and the migration Job named
 * after the release, so each release applies a Job of its own.
 */

/** The image deploy/k8s names by tag, for local reading; a release replaces it. */
export const IMAGE_BY_TAG = 'registry.bank.example/achievements-engine:0.1.0';
const MIGRATE_JOB = 'achievements-migrate-0-1-0';

/** Why a release cannot be made of these: an image without a digest, or a version that is not x.y.z. */
export class ReleaseRefused extends Error {}

/** `text` (one manifest file) with its image pinned to `image` and the migration Job named after `version`. */
export function pinnedManifest(text: string, release: { image: string; version: string }): string {
  if (!/^[^\s@]+@sha256:[0-9a-f]{64}$/.test(release.image))
    throw new ReleaseRefused(
      `the image must be pinned by digest (name@sha256:<64 hex>), got "${release.image}"`,
    );
  if (!/^\d+\.\d+\.\d+$/.test(release.version))
    throw new ReleaseRefused(`the version must be x.y.z, got "${release.version}"`);
  return text
    .replaceAll(`image: ${IMAGE_BY_TAG}`, `image: ${release.image}`)
    .replaceAll(`name: ${MIGRATE_JOB}`, `name: achievements-migrate-${release.version.replaceAll('.', '-')}`);
}
