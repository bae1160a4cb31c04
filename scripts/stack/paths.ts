import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root folder. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Runtime data of the local stack (git-ignored), kept across restarts so state survives them. */
export const DATA_DIR = process.env.STACK_DATA_DIR ?? join(REPO_ROOT, '.stack-data');

/** Big downloads (Kafka jars, the Temporal CLI) live outside the repo so a fresh clone reuses them. */
export const CACHE_DIR = process.env.STACK_CACHE_DIR ?? join(homedir(), '.cache', 'achievements-stack');
