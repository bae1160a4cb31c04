/**
 * Prometheus and promtool, built from the Go module proxy into the stack cache (as the other servers are cached):
 * the alert rules of deploy/prometheus are checked and unit-tested with promtool, and an integration test runs
 * a real Prometheus scraping the roles. Not part of `npm start`: the engine does not need it to run.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE_DIR } from './paths.js';
import { goBuild } from './go-build.js';

const VERSION = 'v0.316.0';
/**
 * Prometheus's build tag leaving out every service discovery but static and file targets (its plugins/ files):
 * the tests scrape static targets, and the discoveries' cloud clients were half of the build (on two cores:
 * 551 s of CPU with them, 275 s without).
 */
const TAGS = 'remove_all_sd';
const BIN = join(CACHE_DIR, `prometheus-${VERSION}-${TAGS}`, 'bin');

export const PROMETHEUS = join(BIN, 'prometheus');
export const PROMTOOL = join(BIN, 'promtool');

/** Builds `prometheus` and `promtool` once (about five minutes of CPU the first time), then finds them cached. */
export async function ensurePrometheus(): Promise<void> {
  if (existsSync(PROMETHEUS) && existsSync(PROMTOOL)) return;
  console.log(`prometheus: building prometheus and promtool ${VERSION} from the Go module proxy into ${BIN}`);
  const started = Date.now();
  await goBuild(
    'prometheus',
    [
      'install',
      '-tags',
      TAGS,
      `github.com/prometheus/prometheus/cmd/prometheus@${VERSION}`,
      `github.com/prometheus/prometheus/cmd/promtool@${VERSION}`,
    ],
    { gobin: BIN },
  );
  console.log(`prometheus: built in ${Math.round((Date.now() - started) / 1000)} s`);
}
