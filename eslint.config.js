import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.stack-data/', 'coverage/'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['eslint.config.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Workflow code is replayed deterministically in Temporal's sandbox: it may import only the workflow SDK
    // and types (activities are reached through proxyActivities), never Node built-ins or I/O libraries.
    files: [
      'workflows/index.ts',
      'workflows/**/*.workflow.ts',
      'workflows/reward-contract.ts',
      'workflows/replay-contract.ts',
      'workflows/replay-details.ts',
      'workflows/replay-workflow-parts.ts',
    ],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!@temporalio/(workflow|common)$|\\.{1,2}/)',
              allowTypeImports: true,
              message:
                'Workflow modules may import only @temporalio/workflow, other workflow modules and types.',
            },
          ],
        },
      ],
    },
  },
  {
    // The rule core is pure: the same decide() runs live, over history, in simulations and in rule tests, so it
    // does no I/O and knows nothing of the folders that use it. It may use the id checks and durations of
    // platform/, which are pure too.
    files: ['rules/**/*.ts'],
    ignores: ['rules/**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(node:|pg$|kafkajs$|nact$|pino$|prom-client$|hono|@hono/|@temporalio/)',
              message: 'rules/ is pure: no I/O, no clients, no servers.',
            },
            {
              regex: '^\\.\\./(actors|api|workflows|scripts|test)/',
              message: 'rules/ is used by actors/, workflows/ and api/, never the other way round.',
            },
            {
              regex: '^\\.\\./platform/(?!text\\.js$|duration\\.js$)',
              message: 'rules/ may use only the pure parts of platform/ (text.js, duration.js).',
            },
          ],
        },
      ],
    },
  },
  {
    // vitest's asymmetric matchers (expect.stringContaining …) are typed `any` by design.
    files: ['**/*.test.ts'],
    rules: { '@typescript-eslint/no-unsafe-assignment': 'off' },
  },
  { files: ['eslint.config.js'], ...tseslint.configs.disableTypeChecked },
  {
    // The console's own scripts run in the browser as they are (no build step), so they are plain modules.
    files: ['api/console/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      sourceType: 'module',
      parserOptions: { projectService: false, project: null },
      globals: Object.fromEntries(
        [
          'window',
          'document',
          'location',
          'navigator',
          'fetch',
          'sessionStorage',
          'localStorage',
          'setTimeout',
          'clearTimeout',
          'URLSearchParams',
          'HashChangeEvent',
          'Node',
          'Intl',
          'atob',
        ].map((name) => [name, 'readonly']),
      ),
    },
  },
);
