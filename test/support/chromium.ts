import { existsSync } from 'node:fs';
import { aptInstall } from '../../scripts/stack/apt.js';

/** Debian's Chromium, where its package puts it (CHROMIUM_PATH names another). */
const DEBIAN_CHROMIUM = '/usr/bin/chromium';

/**
 * The Chromium the console's browser test drives: installed from Debian's packages on first use when running
 * as root (as CI does), the way the stack installs PostgreSQL; otherwise the message says what to install.
 */
export async function chromiumPath(): Promise<string> {
  const path = process.env.CHROMIUM_PATH ?? DEBIAN_CHROMIUM;
  if (existsSync(path)) return path;
  if (process.env.CHROMIUM_PATH || process.getuid?.() !== 0)
    throw new Error(`no Chromium at ${path}; run: sudo apt-get install -y chromium (or set CHROMIUM_PATH)`);
  console.log("chromium: installing Chromium from Debian's packages");
  await aptInstall('chromium', ['chromium']);
  if (!existsSync(path)) throw new Error(`apt-get installed chromium, but not at ${path}`);
  return path;
}
