// @ts-check
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

// The handful of Node globals the JS config files use; not worth a dependency on `globals`.
const nodeGlobals = {
  process: 'readonly',
  console: 'readonly',
  Buffer: 'readonly',
  URL: 'readonly',
  setTimeout: 'readonly',
  clearTimeout: 'readonly',
};
const commonJsGlobals = { ...nodeGlobals, __dirname: 'readonly', __filename: 'readonly' };

const noProcessEnv = {
  message: 'Read settings in config.ts (one zod schema per service) and pass them in.',
};

export default defineConfig(
  globalIgnores([
    '**/node_modules/',
    '**/dist/',
    '**/coverage/',
    '**/.turbo/',
    '.local/',
    'packages/proto/src/gen/',
    'services/*/src/generated/',
  ]),

  js.configs.recommended,

  {
    name: 'typescript (type-checked)',
    files: ['**/*.ts', '**/*.mts', '**/*.cts'],
    extends: [tseslint.configs.strictTypeChecked],
    languageOptions: {
      parserOptions: {
        projectService: {
          // TypeScript files that no workspace tsconfig includes still get typed linting, under
          // the base compiler options. Keep this list short: each match costs a program.
          allowDefaultProject: ['services/*/prisma.config.ts'],
          defaultProject: 'tsconfig.base.json',
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // `(error) => error ? reject(error) : resolve()` is the idiom for callback APIs, not a mistake.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      // Template literals with numbers and booleans read fine in messages.
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      // A leading underscore marks a parameter that must exist for its position or for the
      // function's arity, e.g. `_next` in an Express error handler (Express tells error handlers
      // from middleware by their four parameters).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },

  {
    // Config files in plain JS have no tsconfig, so typed rules cannot apply; plain rules only.
    name: 'javascript config files',
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: commonJsGlobals },
  },
  {
    name: 'javascript modules',
    files: ['**/*.mjs'],
    languageOptions: { sourceType: 'module', globals: nodeGlobals },
  },

  {
    name: 'services log through pino',
    files: ['packages/*/src/**', 'services/*/src/**'],
    rules: { 'no-console': 'error' },
  },

  {
    name: 'settings come from config.ts only',
    files: ['services/*/src/**', 'packages/kit/src/**'],
    ignores: [
      'services/*/src/config.ts',
      'packages/kit/src/config.ts',
      // Test infrastructure, never loaded by a service: it reads where the local PostgreSQL and
      // Kafka are (PG_ADMIN_URL, KAFKA_BROKERS) and passes PATH and HOME on to child processes.
      'packages/kit/src/testing/**',
    ],
    rules: {
      'no-restricted-properties': ['error', { object: 'process', property: 'env', ...noProcessEnv }],
      'no-restricted-imports': [
        'error',
        {
          paths: ['process', 'node:process'].map((name) => ({ name, importNames: ['env'], ...noProcessEnv })),
        },
      ],
    },
  },
);
