// @ts-check
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import reactHooks from 'eslint-plugin-react-hooks';
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

// Workspaces meet only through their packages: a name (@tracking/kit) or a subpath its package.json
// exports (@tracking/backup/roles), never a relative path into another workspace's src/ or test/.
// Shared test fixtures live in @tracking/testing. bench/ and scripts/ belong to no workspace and
// follow the same rule.
const workspaceBoundaries = [
  {
    regex: String.raw`^(\.\./)+(packages|services|tests)/`,
    message: 'Import the workspace by its package name or an exported subpath, not its files by path.',
  },
  {
    regex: String.raw`^(\.\./){2,}[^./][^/]*/(src|test|e2e|chart)(/|$)`,
    message:
      "Import the other workspace's package (or @tracking/testing for fixtures), not its files by path.",
  },
  {
    regex: String.raw`^@tracking/[^/]+/(src|test)(/|$)`,
    message: 'Import what the package exports, not its src/ or test/ files.',
  },
];

export default defineConfig(
  globalIgnores([
    '**/node_modules/',
    '**/dist/',
    '**/coverage/',
    '**/.turbo/',
    '.local/',
    'packages/proto/src/gen/',
    'services/*/src/generated/',
    // Generated from the gateway's OpenAPI document by `npm run generate -w @tracking/web`.
    'services/web/src/lib/api/schema.d.ts',
    'services/web/test-results/',
    'services/web/playwright-report/',
  ]),

  js.configs.recommended,

  {
    name: 'typescript (type-checked)',
    files: ['**/*.ts', '**/*.tsx', '**/*.mts', '**/*.cts'],
    extends: [tseslint.configs.strictTypeChecked],
    languageOptions: {
      parserOptions: {
        projectService: {
          // TypeScript files that no workspace tsconfig includes still get typed linting, under
          // the base compiler options. Keep this list short: each match costs a program.
          allowDefaultProject: ['services/*/prisma.config.ts', 'services/web/playwright.config.ts'],
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
    // The web app runs in the browser: React's rules of hooks, and no Node globals. Settings
    // come from src/config/env.ts (import.meta.env), which the rule below does not see.
    name: 'web app (React, browser)',
    files: ['services/web/src/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      // The two rules of hooks. Not the plugin's React Compiler rules: the app does not use the
      // compiler, and they misread react-hook-form's field objects as refs.
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
      'no-restricted-globals': ['error', 'process', 'Buffer', '__dirname', 'require'],
      // React Router's `lazy` and TanStack Query take promise-returning handlers on purpose.
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
    },
  },

  {
    name: 'workspaces meet only through their packages',
    files: ['**/*.ts', '**/*.tsx', '**/*.mts', '**/*.cts'],
    rules: { 'no-restricted-imports': ['error', { patterns: workspaceBoundaries }] },
  },

  {
    name: 'services log through pino',
    files: ['packages/*/src/**', 'services/*/src/**'],
    rules: { 'no-console': 'error' },
  },

  {
    name: 'settings come from config.ts only',
    files: ['services/*/src/**', 'packages/kit/src/**'],
    ignores: ['services/*/src/config.ts', 'packages/kit/src/config.ts'],
    rules: {
      'no-restricted-properties': ['error', { object: 'process', property: 'env', ...noProcessEnv }],
      'no-restricted-imports': [
        'error',
        {
          paths: ['process', 'node:process'].map((name) => ({ name, importNames: ['env'], ...noProcessEnv })),
          // This block's options replace the boundaries block's for these files, so repeat them.
          patterns: workspaceBoundaries,
        },
      ],
    },
  },
);
