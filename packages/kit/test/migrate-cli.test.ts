import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';

import { infraEnv, randomName } from '@tracking/testing';
import pg from 'pg';

import { dropDatabase, provisionDatabase, type ProvisionedDatabase } from '../src';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const CLI = 'packages/kit/src/migrate-cli.ts';
// Relative, as the migration Job passes it: resolved against the working directory.
const SERVICE_MIGRATIONS = 'packages/kit/test/fixtures/example-service/migrations';

/** Runs the CLI the way the image's migration Job does: a process of its own, settings in the environment. */
function runCli(env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', CLI],
      { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env } },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

function logLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('the migrate command a release runs before it starts', () => {
  const { adminUrl } = infraEnv();
  let db: ProvisionedDatabase;

  beforeAll(async () => {
    db = await provisionDatabase({
      adminUrl,
      database: randomName('test_'),
      migratorPassword: randomBytes(18).toString('hex'),
      appPassword: randomBytes(18).toString('hex'),
    });
  });

  afterAll(async () => {
    await dropDatabase(adminUrl, db.database);
  });

  test('applies the kit’s migrations and then the service’s as the migration role, and a second run applies nothing', async () => {
    const env = { DATABASE_URL: db.migratorUrl, MIGRATIONS_DIR: SERVICE_MIGRATIONS };

    const first = await runCli(env);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(logLines(first.stdout)).toEqual([
      expect.objectContaining({
        event: 'db.migrated',
        service: 'migrate',
        applied: ['kit/migrations/001.do.outbox.sql', 'example-service/migrations/001.do.example.sql'],
      }),
    ]);

    // The service's grant reached the runtime role, which owns nothing itself.
    const app = new pg.Client({ connectionString: db.appUrl });
    await app.connect();
    try {
      const { rows } = await app.query<{ owner: string }>(
        "SELECT tableowner AS owner FROM pg_tables WHERE tablename = 'example_note'",
      );
      expect(rows).toEqual([{ owner: `${db.database}_migrator` }]);
      await expect(app.query('SELECT count(*) FROM example_note')).resolves.toBeDefined();
    } finally {
      await app.end();
    }

    const second = await runCli(env);
    expect(second.code).toBe(0);
    expect(logLines(second.stdout)).toEqual([
      expect.objectContaining({ event: 'db.migrated', applied: [], msg: 'the database is up to date' }),
    ]);
  });

  test('a mistyped folder or URL stops it with exit code 1, naming each variable and never echoing the password', async () => {
    const password = 'hunter2-never-printed';
    const result = await runCli({
      DATABASE_URL: `mysql://root:${password}@db/x`,
      MIGRATIONS_DIR: 'services/no-such-service/migrations',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('DATABASE_URL: must be a postgres:// connection URL');
    expect(result.stderr).toContain('MIGRATIONS_DIR: is not a directory');
    expect(result.stdout + result.stderr).not.toContain(password);
  });

  test('a refused connection exits 1 without the password in the output', async () => {
    const url = new URL(db.migratorUrl);
    url.password = 'wrong-password-never-printed';
    const result = await runCli({ DATABASE_URL: url.toString(), MIGRATIONS_DIR: SERVICE_MIGRATIONS });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^\[migrate\] failed: .*password authentication failed/);
    expect(result.stdout + result.stderr).not.toContain('wrong-password-never-printed');
  });
});
