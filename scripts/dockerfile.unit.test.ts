import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dockerfileStages } from './dockerfile.js';

const DOCKERFILE = readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8');

describe('the Dockerfile as the image check reads it', () => {
  it('builds in one stage and runs, production only and unprivileged, from another', () => {
    const [build, runtime] = dockerfileStages(DOCKERFILE);
    expect(build).toMatchObject({ name: 'build', base: 'node:24-bookworm-slim' });
    expect(build!.instructions.filter((step) => step.kind === 'run')).toEqual([
      { kind: 'run', command: 'npm ci --ignore-scripts' },
      { kind: 'run', command: 'npm run build:workflows && npm prune --omit=dev' },
    ]);
    expect(runtime!.instructions).toContainEqual({ kind: 'env', values: { NODE_ENV: 'production' } });
    expect(runtime!.instructions).toContainEqual({ kind: 'user', value: 'node' });
    expect(runtime!.instructions).toContainEqual({
      kind: 'copy',
      from: 'build',
      sources: ['/app/node_modules'],
      destination: './node_modules',
    });
    expect(runtime!.instructions.filter((step) => step.kind === 'run')).toEqual([]);
    expect(runtime!.instructions).toContainEqual({
      kind: 'entrypoint',
      argv: ['node', '--import', 'tsx', 'main.ts'],
    });
  });

  it('refuses an instruction it would not carry out', () => {
    expect(() => dockerfileStages('FROM node:20\nHEALTHCHECK CMD true\n')).toThrow(/HEALTHCHECK/);
    expect(() => dockerfileStages('RUN true\n')).toThrow(/before any FROM/);
  });
});
