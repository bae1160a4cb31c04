import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CACHE_DIR } from '../../scripts/stack/paths.js';
import { runQuietly } from '../../scripts/stack/processes.js';

/** Pinned, so a fuzz run means the same thing in every session and in CI. */
const SCHEMATHESIS = 'schemathesis==4.32.5';
const VENV = join(CACHE_DIR, 'schemathesis-4.32.5');
const CLI = join(VENV, 'bin', 'schemathesis');
const HOOKS_DIR = fileURLToPath(new URL('.', import.meta.url));

/** Installs schemathesis from PyPI into a cached virtualenv, once per machine. */
export async function ensureSchemathesis() {
  if (existsSync(CLI)) return;
  console.log(`schemathesis: installing ${SCHEMATHESIS} from PyPI into ${VENV}`);
  await runQuietly('schemathesis', 'python3', ['-m', 'venv', VENV]);
  await runQuietly('schemathesis', join(VENV, 'bin', 'pip'), [
    'install',
    '--disable-pip-version-check',
    '--quiet',
    SCHEMATHESIS,
  ]);
}

export interface FuzzRun {
  exitCode: number;
  output: string;
}

/**
 * Runs schemathesis against a listening API's `/openapi.json`. The hooks module signs partner callbacks with
 * `partnerSecret`, so their bodies are fuzzed behind a valid signature too.
 */
export function runSchemathesis(
  apiUrl: string,
  options: { headers: string[]; maxExamples: number; seed: number; partnerSecret: string },
): Promise<FuzzRun> {
  const args = ['run', `${apiUrl}/openapi.json`, '--checks', CHECKS.join(','), '--max-examples'];
  args.push(String(options.maxExamples), '--seed', String(options.seed), '--no-color', '--workers', '1');
  for (const header of options.headers) args.push('-H', header);
  return new Promise((resolve, reject) => {
    const child = spawn(CLI, args, {
      // Its run cache goes to the temp folder, not into the repository.
      cwd: tmpdir(),
      env: {
        ...process.env,
        SCHEMATHESIS_HOOKS: 'schemathesis_hooks',
        PYTHONPATH: HOOKS_DIR,
        FUZZ_PARTNER_SECRET: options.partnerSecret,
      },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ exitCode: code ?? -1, output }));
  });
}

/** No 5xx, and nothing outside the documented statuses, content types, headers and body schemas. */
const CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_headers_conformance',
  'response_schema_conformance',
];
