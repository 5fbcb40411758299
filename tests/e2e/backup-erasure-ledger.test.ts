import { mkdir } from 'node:fs/promises';
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';

import { dropDatabase, provisionDatabase } from '@tracking/kit';
import { ERASURE_LEDGER_PREFIX, type ErasureLedgerEntry } from '@tracking/contracts';
import { createTestDatabase, infraEnv, randomName, type TestDatabase } from '@tracking/testing';
import pg from 'pg';

import {
  createBackupHarness,
  lastLine,
  putObject,
  runCli,
  tablesOf,
  withAdmin,
  type BackupHarness,
} from './backup-support';

/*
 * #22: a backup taken before an erasure still holds the person. Every restore, the drills
 * included, re-applies the erasure ledger before the database is checked or used, so a restore
 * never brings an erased person back; and without the whole ledger nothing is restored.
 */

const MEAL_CANARY = `CANARY-MEAL-${randomBytes(6).toString('hex')}`;

/**
 * A service database in miniature: people and their meals, and the privacy_erase_subject(uuid)
 * function a participant defines (SECURITY DEFINER, counts per table, idempotent).
 */
async function participantDatabase(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  const client = new pg.Client({ connectionString: db.migratorUrl });
  await client.connect();
  try {
    await client.query(`
      CREATE TABLE person (id uuid PRIMARY KEY, email text NOT NULL);
      CREATE TABLE meal (
        id        bigserial PRIMARY KEY,
        person_id uuid NOT NULL REFERENCES person (id),
        text      text NOT NULL
      );
      ALTER TABLE meal ENABLE ROW LEVEL SECURITY;
      ALTER TABLE meal FORCE ROW LEVEL SECURITY;
      CREATE POLICY meal_owner ON meal USING (person_id::text = current_setting('app.user_id', true));
      CREATE FUNCTION privacy_erase_subject(subject uuid) RETURNS jsonb
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
      DECLARE
        meals integer;
        people integer;
      BEGIN
        PERFORM set_config('app.user_id', subject::text, true);
        DELETE FROM meal WHERE person_id = subject;
        GET DIAGNOSTICS meals = ROW_COUNT;
        DELETE FROM person WHERE id = subject;
        GET DIAGNOSTICS people = ROW_COUNT;
        RETURN jsonb_build_object('meal', meals, 'person', people);
      END $$;
      REVOKE ALL ON FUNCTION privacy_erase_subject(uuid) FROM PUBLIC;
    `);
  } finally {
    await client.end();
  }
  return db;
}

async function addPerson(db: TestDatabase, id: string, meal: string): Promise<void> {
  await withAdmin(db.database, async (client) => {
    await client.query('INSERT INTO person (id, email) VALUES ($1, $2)', [id, `${id}@example.test`]);
    await client.query('INSERT INTO meal (person_id, text) VALUES ($1, $2)', [id, meal]);
  });
}

/** Every person id and meal text in a database, as the superuser sees them (RLS does not apply). */
async function contents(database: string): Promise<{ people: string[]; meals: string[] }> {
  return withAdmin(database, async (client) => {
    const people = await client.query<{ id: string }>('SELECT id FROM person ORDER BY id');
    const meals = await client.query<{ text: string }>('SELECT text FROM meal ORDER BY text');
    return { people: people.rows.map((row) => row.id), meals: meals.rows.map((row) => row.text) };
  });
}

describe('a restore never brings an erased person back (the erasure ledger, #22)', () => {
  let harness: BackupHarness;
  let source: TestDatabase;
  const targets: TestDatabase[] = [];
  let backupId: string;
  let tmp: string;
  const erased = randomUUID();
  const kept = randomUUID();

  /** A fresh, empty database with its two roles, restored into as its migration role. */
  async function target(): Promise<TestDatabase> {
    const { adminUrl } = infraEnv();
    const database = randomName('test_');
    const db = await provisionDatabase({
      adminUrl,
      database,
      migratorPassword: randomBytes(18).toString('hex'),
      appPassword: randomBytes(18).toString('hex'),
    });
    const created = { ...db, drop: () => dropDatabase(adminUrl, database) };
    targets.push(created);
    return created;
  }

  function restore(into: TestDatabase, extra: Record<string, string> = {}) {
    return runCli(
      ['restore', '--db', source.database, '--backup', backupId, '--target', into.database, '--json'],
      { ...harness.env, BACKUP_RESTORE_URL: into.migratorUrl, TMPDIR: tmp, ...extra },
    );
  }

  beforeAll(async () => {
    harness = await createBackupHarness();
    tmp = path.join(harness.dir, 'tmp');
    await mkdir(tmp, { recursive: true });
    source = await participantDatabase();
    await addPerson(source, erased, `${MEAL_CANARY} porridge`);
    await addPerson(source, kept, 'toast and jam');
    await harness.setSources([source.database]);

    // The backup holds both people.
    const backup = await runCli(['backup', '--json'], { ...harness.env, TMPDIR: tmp });
    expect(backup.code).toBe(0);
    const line = JSON.parse(backup.stdout.trim().split('\n').at(-1) ?? '{}') as {
      manifest: { backupId: string };
    };
    backupId = line.manifest.backupId;

    // Then one of them is erased, as the privacy service does it: the ledger entry first, then
    // the erasure in the live database.
    const entry: ErasureLedgerEntry = {
      subjectId: erased,
      requestId: randomUUID(),
      erasingSince: new Date().toISOString(),
    };
    await putObject(
      `${harness.env.ERASURE_LEDGER_S3_PREFIX}${ERASURE_LEDGER_PREFIX}${erased}.json`,
      JSON.stringify(entry),
    );
    await withAdmin(source.database, (client) =>
      client.query('SELECT privacy_erase_subject($1::uuid)', [erased]),
    );
    expect(await contents(source.database)).toEqual({ people: [kept], meals: ['toast and jam'] });
  });

  afterAll(async () => {
    await Promise.all(targets.map((db) => db.drop()));
    await source.drop();
    await harness.cleanup();
  });

  test('a restore of the older backup re-applies the ledger: the erased person and their meal text are absent, everyone else is back', async () => {
    const into = await target();
    const result = await restore(into);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout.trim())).toMatchObject({ ok: true, erasuresReapplied: 1 });
    const restored = await contents(into.database);
    expect(restored.people).toEqual([kept]);
    expect(restored.meals).toEqual(['toast and jam']);
    expect(JSON.stringify(restored)).not.toContain(MEAL_CANARY);
  });

  test('a restore drill re-applies the ledger before its checks, proves nothing of the person is left, and the metric source records how many', async () => {
    const drill = await runCli(['drill', '--json'], { ...harness.env, TMPDIR: tmp });
    expect(drill.code).toBe(0);
    const record = JSON.parse(drill.stdout.trim()) as {
      ok: boolean;
      checks: { name: string; ok: boolean; detail: string; erasuresReapplied?: number }[];
    };
    expect(record.ok).toBe(true);
    // The backup came back whole (both people, as the manifest counted them), and then the
    // ledger was applied: a second, rolled-back call of the function found nothing left.
    expect(record.checks).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'row counts', ok: true }),
        { name: 'erasure ledger', ok: true, detail: '1 erasures re-applied', erasuresReapplied: 1 },
      ]),
    );
  });

  test('an erasure function that leaves the person behind fails the drill', async () => {
    // A participant whose function reports rows erased but erases nothing: the second pass sees them.
    const broken = await participantDatabase();
    try {
      await withAdmin(broken.database, (client) =>
        client.query(`
          CREATE OR REPLACE FUNCTION privacy_erase_subject(subject uuid) RETURNS jsonb
            LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
            SELECT jsonb_build_object('person', count(*)) FROM person WHERE id = subject
          $$`),
      );
      await addPerson(broken, erased, `${MEAL_CANARY} again`);
      await harness.setSources([broken.database]);
      const backup = await runCli(['backup', '--json'], { ...harness.env, TMPDIR: tmp });
      expect(backup.code).toBe(0);
      const drill = await runCli(['drill', '--json'], { ...harness.env, TMPDIR: tmp });
      expect(drill.code).toBe(1);
      expect(lastLine(drill.stderr)).toContain('a second pass still found 1 rows of erased people');
    } finally {
      await harness.setSources([source.database]);
      await broken.drop();
    }
  });

  test('a ledger that cannot be read fails the restore before anything reaches the target, and fails the drill', async () => {
    const badPrefix = `${harness.prefix}bad-ledger/`;
    await putObject(`${badPrefix}${ERASURE_LEDGER_PREFIX}${randomUUID()}.json`, 'not json');
    const bad = { ERASURE_LEDGER_S3_PREFIX: badPrefix };

    const into = await target();
    const result = await restore(into, bad);
    expect(result.code).toBe(1);
    expect(lastLine(result.stderr)).toMatch(/erasure ledger entry .*\.json cannot be read/);
    expect(await tablesOf(into.database)).toEqual([]);

    const drill = await runCli(['drill', '--json'], { ...harness.env, ...bad, TMPDIR: tmp });
    expect(drill.code).toBe(1);
    expect(JSON.parse(drill.stdout.trim())).toMatchObject({
      ok: false,
      checks: [{ name: 'erasure ledger', ok: false }],
    });
  });

  test('without a ledger configured, a restore and a drill refuse to run', async () => {
    const none = { ERASURE_LEDGER_S3_BUCKET: '' };
    const into = await target();
    const result = await restore(into, none);
    expect(result.code).toBe(1);
    expect(lastLine(result.stderr)).toContain('ERASURE_LEDGER_S3_BUCKET is not set');
    expect(await tablesOf(into.database)).toEqual([]);
    const drill = await runCli(['drill'], { ...harness.env, ...none, TMPDIR: tmp });
    expect(drill.code).toBe(1);
    expect(lastLine(drill.stderr)).toContain('ERASURE_LEDGER_S3_BUCKET is not set');
  });
});

describe("with tracking's own migrations: its privacy_erase_subject re-applied by a restore and a drill", () => {
  let harness: BackupHarness;
  let tracking: TestDatabase;
  let into: TestDatabase | undefined;
  let tmp: string;
  const erased = randomUUID();
  const kept = randomUUID();

  /** Meals as the API leaves them: one live, one soft-deleted (its text still at rest), for each client. */
  async function meals(client: string, text: string): Promise<void> {
    await withAdmin(tracking.database, (admin) =>
      admin.query(
        `INSERT INTO meal (id, client_id, eaten_at, meal_type, description, deleted_at)
         VALUES ($1, $3, now() - interval '1 day', 'lunch', $4 || ' live', NULL),
                ($2, $3, now() - interval '2 days', 'snack', $4 || ' deleted', now() - interval '1 day')`,
        [randomUUID(), randomUUID(), client, text],
      ),
    );
  }

  async function mealTexts(database: string): Promise<string[]> {
    return withAdmin(database, async (admin) => {
      const { rows } = await admin.query<{ description: string }>(
        'SELECT description FROM meal ORDER BY description',
      );
      return rows.map((row) => row.description);
    });
  }

  beforeAll(async () => {
    harness = await createBackupHarness();
    tmp = path.join(harness.dir, 'tmp');
    await mkdir(tmp, { recursive: true });
    tracking = await createTestDatabase(
      path.join(__dirname, '..', '..', 'services', 'tracking', 'migrations'),
    );
    await meals(erased, MEAL_CANARY);
    await meals(kept, 'toast');
    await harness.setSources([tracking.database]);
    const backup = await runCli(['backup'], { ...harness.env, TMPDIR: tmp });
    expect(backup.code).toBe(0);
    const entry: ErasureLedgerEntry = {
      subjectId: erased,
      requestId: randomUUID(),
      erasingSince: new Date().toISOString(),
    };
    await putObject(
      `${harness.env.ERASURE_LEDGER_S3_PREFIX}${ERASURE_LEDGER_PREFIX}${erased}.json`,
      JSON.stringify(entry),
    );
    await withAdmin(tracking.database, (admin) =>
      admin.query('SELECT privacy_erase_subject($1::uuid)', [erased]),
    );
  });

  afterAll(async () => {
    await into?.drop();
    await tracking.drop();
    await harness.cleanup();
  });

  test('a restore brings back the other client and none of the erased client’s meals, soft-deleted text included', async () => {
    const { adminUrl } = infraEnv();
    const database = randomName('test_');
    const db = await provisionDatabase({
      adminUrl,
      database,
      migratorPassword: randomBytes(18).toString('hex'),
      appPassword: randomBytes(18).toString('hex'),
    });
    into = { ...db, drop: () => dropDatabase(adminUrl, database) };
    const manifest = JSON.parse(
      (await runCli(['list', '--db', tracking.database, '--json'], harness.env)).stdout
        .trim()
        .split('\n')[0] ?? '{}',
    ) as { backupId: string };
    const result = await runCli(
      ['restore', '--db', tracking.database, '--backup', manifest.backupId, '--target', database],
      { ...harness.env, BACKUP_RESTORE_URL: db.migratorUrl, TMPDIR: tmp },
    );
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('1 erasures re-applied from the ledger');
    expect(await mealTexts(database)).toEqual(['toast deleted', 'toast live']);
  });

  test('a drill of the tracking backup re-applies the ledger and passes its checks', async () => {
    const drill = await runCli(['drill', '--json'], { ...harness.env, TMPDIR: tmp });
    expect(drill.stderr).toBe('');
    const record = JSON.parse(drill.stdout.trim()) as {
      ok: boolean;
      checks: { name: string; detail: string }[];
    };
    expect(record.ok).toBe(true);
    expect(record.checks.find((check) => check.name === 'erasure ledger')?.detail).toBe(
      '1 erasures re-applied',
    );
  });
});
