// One jest run over every workspace, so the suite ends in a single summary line CI can read.
const fs = require('node:fs');
const path = require('node:path');

// ESM-only packages that jest (CommonJS here) must transform; Node 24 itself can require() them.
const esmOnly = [
  'postgrator',
  'canonicalize',
  'otplib',
  '@otplib',
  '@scure',
  '@noble',
  'jose',
  'age-encryption',
];
// CommonJS packages that load a module with import(), which jest's CommonJS runtime refuses
// without --experimental-vm-modules: transformed, the import() becomes a require().
const dynamicImport = ['@react-email'];

const swc = [
  '@swc/jest',
  {
    jsc: { parser: { syntax: 'typescript' }, target: 'es2024' },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

// Every package and service with a test/ folder is a jest project.
const workspaces = ['packages', 'services']
  .flatMap((group) =>
    fs
      .readdirSync(path.join(__dirname, group), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => `${group}/${entry.name}`),
  )
  .filter((dir) => fs.existsSync(path.join(__dirname, dir, 'test')));

// The notifications service's mail templates are React components (React Email).
const swcTsx = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', tsx: true },
      target: 'es2024',
      transform: { react: { runtime: 'automatic' } },
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

const project = (displayName, rootDir, testMatch) => ({
  displayName,
  rootDir,
  testEnvironment: 'node',
  testMatch,
  transform: { '^.+\\.(ts|js|mjs|cjs)$': swc, '^.+\\.tsx$': swcTsx },
  transformIgnorePatterns: [`/node_modules/(?!(${[...esmOnly, ...dynamicImport].join('|')})/)`],
  // Generated code imports its siblings as './x.js' (what Node's ESM resolution wants); jest resolves './x'.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  setupFiles: [path.join(__dirname, 'jest.setup.js')],
});

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    ...workspaces.map((dir) => project(dir, path.join(__dirname, dir), ['<rootDir>/test/**/*.test.ts'])),
    // The system-tests workspace holds three suites: whole flows on the real services, the chart,
    // and privacy (the data inventory against every service's live schema, the privacy documents).
    ...['e2e', 'chart', 'privacy'].map((suite) =>
      project(`tests/${suite}`, path.join(__dirname, 'tests'), [`<rootDir>/${suite}/**/*.test.ts`]),
    ),
    // The generators of committed files (the Grafana dashboards), tested beside them.
    project('scripts', path.join(__dirname, 'scripts'), [
      '<rootDir>/*.test.ts',
      '<rootDir>/dashboards/*.test.ts',
    ]),
  ],
  testTimeout: 120_000,
};
