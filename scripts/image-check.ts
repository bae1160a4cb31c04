/**
 * `npm run image:check`: what can be proven of the Dockerfile on a machine with no container engine (and no
 * Docker Hub to pull `node:20-bookworm-slim` from). Each stage is carried out as Docker would, in a folder of
 * its own standing for its /app, with this machine's Node 20 in place of the base image: COPY (from the build
 * context, .dockerignore applied, or from an earlier stage), RUN, ENV, then the final stage's ENTRYPOINT runs
 * `migrate` and each role in production mode against the local stack: the API until /health answers 200, the
 * worker until it polls (with the prebuilt bundle), the processor until it consumes; each then stops on
 * SIGTERM. Not proven: the base image itself, `USER node`, the image's size.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { minimatch } from 'minimatch';
import { dockerfileStages } from './dockerfile.js';
import { REPO_ROOT } from './stack/paths.js';
import { localServices, upStack } from './stack/stack.js';

const work = mkdtempSync(join(tmpdir(), 'image-check-'));
const say = (line: string) => console.log(`image-check: ${line}`);

/** The build context: the repository's files less what .dockerignore leaves out. */
function buildContext(): string {
  const context = join(work, 'context');
  const ignored = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const files = execFileSync('git', ['ls-files'], { cwd: REPO_ROOT, encoding: 'utf8' }).split('\n');
  for (const file of files.filter(Boolean)) {
    if (ignored.some((pattern) => minimatch(file, pattern) || file.startsWith(`${pattern}/`))) continue;
    mkdirSync(dirname(join(context, file)), { recursive: true });
    cpSync(join(REPO_ROOT, file), join(context, file));
  }
  return context;
}

/** COPY: a folder's content goes into the destination; a file into it when it names a folder. */
function copy(root: string, source: string, stageDir: string, destination: string) {
  const from = join(root, source);
  const to = join(stageDir, destination);
  if (statSync(from).isDirectory()) cpSync(from, to, { recursive: true });
  else cpSync(from, destination.endsWith('/') || destination === '.' ? join(to, basename(source)) : to);
}

/** Carries out every stage; answers the last one's folder, environment and command. */
function buildStages() {
  const context = buildContext();
  const stages = new Map<string, string>();
  let last = { dir: '', env: {} as Record<string, string>, entrypoint: [] as string[], cmd: [] as string[] };
  for (const stage of dockerfileStages(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'))) {
    const dir = join(work, `stage-${stage.name}`);
    mkdirSync(dir, { recursive: true });
    last = { dir, env: {}, entrypoint: [], cmd: [] };
    for (const step of stage.instructions) {
      if (step.kind === 'workdir' && step.value !== '/app') throw new Error('expected WORKDIR /app');
      if (step.kind === 'env') Object.assign(last.env, step.values);
      if (step.kind === 'entrypoint') last.entrypoint = step.argv;
      if (step.kind === 'cmd') last.cmd = step.argv;
      if (step.kind === 'copy') {
        for (const source of step.sources) {
          if (!step.from) copy(context, source, dir, step.destination);
          else copy(stages.get(step.from)!, source.replace(/^\/app\/?/, ''), dir, step.destination);
        }
      }
      if (step.kind === 'run') {
        say(`${stage.name}: RUN ${step.command}`);
        execFileSync('sh', ['-c', step.command], {
          cwd: dir,
          stdio: 'inherit',
          env: { ...process.env, ...last.env },
        });
      }
    }
    stages.set(stage.name, dir);
  }
  return last;
}

/** Runs the image's command with `role`, until `ready` says so of its output; then SIGTERM, expecting exit 0. */
function runRole(
  image: ReturnType<typeof buildStages>,
  role: string,
  env: Record<string, string>,
  ready: (output: string) => Promise<boolean> | boolean,
) {
  const [command, ...args] = image.entrypoint;
  const child = spawn(command!, [...args, role], {
    cwd: image.dir,
    env: { PATH: process.env.PATH, ...image.env, ...env },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise<void>((resolve, reject) => {
    const deadline = Date.now() + 90_000;
    const exited = new Promise<number | null>((done) => child.once('exit', done));
    const poll = async () => {
      if (child.exitCode !== null)
        return reject(new Error(`${role} exited with ${child.exitCode}:\n${output}`));
      if (await ready(output)) {
        child.kill('SIGTERM');
        const code = await exited;
        return code === 0 ? resolve() : reject(new Error(`${role} stopped with ${code}:\n${output}`));
      }
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        return reject(new Error(`${role} not ready in 90 s:\n${output}`));
      }
      setTimeout(() => void poll(), 500);
    };
    void poll();
  });
}

async function main() {
  const image = buildStages();
  say(`image folder ${image.dir}: ENTRYPOINT ${image.entrypoint.join(' ')}, CMD ${image.cmd.join(' ')}`);
  await upStack(localServices());
  const port = String(18_000 + Math.floor(Math.random() * 1000));
  const env = {
    NODE_ENV: 'production',
    PORT: port,
    JWT_SECRET: randomBytes(32).toString('hex'),
    PARTNER_PSEUDONYM_KEY: randomBytes(32).toString('hex'),
  };
  execFileSync(image.entrypoint[0]!, [...image.entrypoint.slice(1), 'migrate'], {
    cwd: image.dir,
    env: { PATH: process.env.PATH, ...image.env, ...env },
    stdio: 'inherit',
  });
  say('migrate: done');
  const health = async () =>
    (await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined))?.status === 200;
  await runRole(image, image.cmd[0]!, env, health);
  say(`${image.cmd[0]} (the default command): /health answered 200, stopped cleanly`);
  await runRole(image, 'worker', env, (output) => output.includes('Temporal workers polling'));
  say('worker: polling with the prebuilt bundle, stopped cleanly');
  await runRole(image, 'processor', env, (output) => output.includes('consuming input topics'));
  say('processor: consuming, stopped cleanly');
}

main()
  .then(() => {
    rmSync(work, { recursive: true, force: true });
    say('the image runs every role');
  })
  .catch((error: unknown) => {
    console.error(`image-check: FAILED: ${(error as Error).message}`);
    console.error(`image-check: the stages are kept in ${work}`);
    process.exit(1);
  });
