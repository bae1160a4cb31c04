import { spawn } from 'node:child_process';

/** libpq's connection settings from a URL, the password in the environment rather than on a command line. */
export function libpq(databaseUrl: string) {
  const url = new URL(databaseUrl);
  const password = decodeURIComponent(url.password);
  url.password = '';
  return { url: url.toString(), env: { ...process.env, ...(password ? { PGPASSWORD: password } : {}) } };
}

/**
 * Runs a PostgreSQL client tool against `databaseUrl`, its stdin and stdout the caller's to stream; `done`
 * answers its stderr (what `--verbose` tells), or rejects with it if the tool fails.
 */
export function postgresTool(command: string, args: string[], databaseUrl: string) {
  const { url, env } = libpq(databaseUrl);
  const child = spawn(command, [...args, `--dbname=${url}`], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // A tool that stops early closes its stdin under the writer: its exit status and stderr say why.
  child.stdin.on('error', () => undefined);
  const done = new Promise<string>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) =>
      code === 0
        ? resolve(stderr)
        : reject(new Error(`${command} failed (${signal ?? `exit ${code}`}): ${stderr.trim()}`)),
    );
  });
  return { child, done };
}
