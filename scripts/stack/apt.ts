/**
 * Debian packages the stack and the browser tests install on first use (PostgreSQL, Chromium). Test files run in
 * parallel processes, and apt-get refuses to run beside another ("Could not get lock /var/lib/apt/lists/lock"),
 * so every install here waits its turn on one lock file.
 */
import { join } from 'node:path';
import { CACHE_DIR } from './paths.js';
import { runQuietlyInTurn } from './processes.js';

export async function aptInstall(service: string, packages: string[]): Promise<void> {
  const lock = join(CACHE_DIR, 'apt-get.lock');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await runQuietlyInTurn(service, lock, 'apt-get', ['update', '-q'], { env });
  await runQuietlyInTurn(service, lock, 'apt-get', ['install', '-y', '-q', ...packages], { env });
}
