/**
 * The Go tools the tests run (versitygw, Prometheus, kubeconform, kube-score, scripts/pod-security), built from the
 * Go module proxy into the stack cache. Each build gets a workspace of its own (modules, build cache, temporary
 * files), removed once its binaries are in place, and builds run one at a time: kept in Go's default places, the
 * five builds left about 7 GB of modules and build cache on a CI machine's disk for some 300 MB of binaries, and a
 * fresh CI machine ran out of space while the tests ran.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE_DIR } from './paths.js';
import { runQuietlyInTurn } from './processes.js';

/** Runs `go <args>` (an install or a build) in a throwaway workspace; `gobin` is where `go install` puts binaries. */
export async function goBuild(
  service: string,
  args: string[],
  options: { gobin?: string; cwd?: string } = {},
) {
  mkdirSync(CACHE_DIR, { recursive: true });
  const workspace = mkdtempSync(join(CACHE_DIR, 'go-workspace-'));
  const tmp = join(workspace, 'tmp');
  mkdirSync(tmp);
  try {
    // One build at a time, across the test processes too: each workspace holds a few GB while it builds.
    await runQuietlyInTurn(service, join(CACHE_DIR, 'go-build.lock'), 'go', args, {
      cwd: options.cwd,
      env: {
        ...process.env,
        ...(options.gobin ? { GOBIN: options.gobin } : {}),
        GOPATH: join(workspace, 'gopath'),
        GOCACHE: join(workspace, 'cache'),
        GOTMPDIR: tmp,
        // -modcacherw: Go writes its module cache read-only, which would keep the workspace from being removed.
        GOFLAGS: '-mod=mod -modcacherw',
      },
    });
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
}
