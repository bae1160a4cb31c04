import { defineConfig } from 'vitest/config';

const integration = {
  // One Kafka broker, Temporal server and PostgreSQL per run, started here when not running.
  globalSetup: ['test/global-setup.ts'],
  env: { LOG_LEVEL: 'silent' },
  testTimeout: 60_000,
  hookTimeout: 120_000,
};

export default defineConfig({
  test: {
    // Integration tests mostly wait on the servers (group joins, workflow timers): a third worker on two cores
    // overlaps those waits instead of running the files one after another.
    maxWorkers: 3,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['**/*.unit.test.ts'],
          exclude: ['node_modules/**', '.stack-data/**'],
          env: { LOG_LEVEL: 'silent' },
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.int.test.ts', 'test/**/*.e2e.test.ts'],
          ...integration,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          // The fault suite stops and starts the shared Kafka, PostgreSQL and Temporal: it runs alone, after
          // every other test has finished, one file at a time.
          name: 'faults',
          include: ['test/faults/**/*.fault.test.ts'],
          ...integration,
          testTimeout: 600_000,
          hookTimeout: 300_000,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
