import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { migrate } from '@tracking/kit';
import { createTestDatabase, type TestDatabase } from '@tracking/testing';
import pg from 'pg';

/**
 * Migration 003 on a database that already holds meals from before it: each meal's estimate
 * status is derived from what is stored, and row-level security is forced again afterwards.
 */
const MIGRATIONS = path.join(__dirname, '..', 'migrations');

let db: TestDatabase;
let before: string;
let app: pg.Client;

beforeAll(async () => {
  before = mkdtempSync(path.join(tmpdir(), 'tracking-migrations-'));
  for (const file of ['001.do.tracking.sql', '002.do.activity-log.sql']) {
    copyFileSync(path.join(MIGRATIONS, file), path.join(before, file));
  }
  db = await createTestDatabase(before);
  app = new pg.Client({ connectionString: db.appUrl });
  await app.connect();
}, 60_000);

afterAll(async () => {
  await app.end();
  await db.drop();
  rmSync(before, { recursive: true, force: true });
});

/** Runs `sql` as the app role in one committed transaction acting as `role` (and `userId`). */
async function as(
  role: string,
  userId: string,
  sql: string,
  params: unknown[] = [],
): Promise<pg.QueryResult> {
  await app.query('BEGIN');
  try {
    await app.query(
      `SELECT set_config('tracking.user_id', $1, true), set_config('tracking.role', $2, true)`,
      [userId, role],
    );
    const result = await app.query(sql, params);
    await app.query('COMMIT');
    return result;
  } catch (error) {
    await app.query('ROLLBACK');
    throw error;
  }
}

test('003 marks stored estimates estimated (even after an edit that kept the text) and the rest pending', async () => {
  const client = randomUUID();
  const [waiting, estimated, moved] = [randomUUID(), randomUUID(), randomUUID()];
  for (const id of [waiting, estimated, moved]) {
    await as(
      'client',
      client,
      `INSERT INTO meal (id, client_id, eaten_at, meal_type, description) VALUES ($1, $2, now(), 'lunch', 'soup')`,
      [id, client],
    );
  }
  await as(
    'ai-results',
    '',
    `UPDATE meal SET calories = 300, protein_g = 10, carbs_g = 20, fat_g = 5, estimate_source = 'offline',
            estimated_at = now(), estimated_version = 1
      WHERE id = ANY($1::uuid[])`,
    [[estimated, moved]],
  );
  // A new time, the same text: the version moves on and the estimate stays.
  await as(
    'client',
    client,
    "UPDATE meal SET version = 2, eaten_at = now() - interval '1 hour' WHERE id = $1",
    [moved],
  );

  const { applied } = await migrate({ connectionString: db.migratorUrl, dir: MIGRATIONS });
  expect(applied).toEqual([
    expect.stringMatching(/003\.do\.ai-estimates\.sql$/),
    expect.stringMatching(/004\.do\.plan-limit\.sql$/),
    expect.stringMatching(/005\.do\.meal-idempotency\.sql$/),
    expect.stringMatching(/006\.do\.link-and-grant-guards\.sql$/),
    expect.stringMatching(/007\.do\.privacy-erasure\.sql$/),
    expect.stringMatching(/008\.do\.retention\.sql$/),
    expect.stringMatching(/009\.do\.erase-open-invitations\.sql$/),
  ]);

  const { rows } = await as('client', client, 'SELECT id, estimate_status, estimate_failure FROM meal');
  const status = Object.fromEntries(
    rows.map((row: { id: string; estimate_status: string }) => [row.id, row.estimate_status]),
  );
  expect(status).toEqual({ [waiting]: 'pending', [estimated]: 'estimated', [moved]: 'estimated' });
  expect(rows.every((row: { estimate_failure: unknown }) => row.estimate_failure === null)).toBe(true);

  const { rows: security } = await app.query<{ relforcerowsecurity: boolean }>(
    "SELECT relforcerowsecurity FROM pg_class WHERE relname = 'meal'",
  );
  expect(security).toEqual([{ relforcerowsecurity: true }]);
});
