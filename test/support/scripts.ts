import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * `npm run <script>` as an operator runs it (`tsx scripts/<file>.ts`), with `env` added and `stdin` typed into
 * it; `done` settles with its exit code and what it printed.
 */
export function startScript(file: string, args: string[], env: Record<string, string>, stdin = '') {
  const child = spawn(process.execPath, ['--import', 'tsx', `scripts/${file}`, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(stdin);
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, done };
}

/** Runs a script to its end. */
export const runScript = (file: string, args: string[], env: Record<string, string>, stdin = '') =>
  startScript(file, args, env, stdin).done;
