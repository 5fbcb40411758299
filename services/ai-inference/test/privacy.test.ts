import { randomUUID } from 'node:crypto';
import path from 'node:path';

import { createPool, pgExecutor } from '@tracking/kit';
import { createTestDatabase, type TestDatabase } from '@tracking/testing';
import type pg from 'pg';

import { createBudget } from '../src/budget';
import { eraseSubject, exportSubject } from '../src/privacy';

/**
 * The AI service's part in a person's export and erasure (#22), on a real database: the export
 * holds their usage and nobody else's; privacy_erase_subject deletes exactly their usage, as the
 * runtime role (the saga) and as the owner (a restore re-applying the erasure ledger), and a
 * second call changes nothing.
 */
let db: TestDatabase;
let app: pg.Pool;
let owner: pg.Pool;
const alice = randomUUID();
const bob = randomUUID();

beforeAll(async () => {
  db = await createTestDatabase(path.join(__dirname, '..', 'migrations'));
  app = createPool(db.appUrl, { max: 2 });
  owner = createPool(db.migratorUrl, { max: 1 });
  const budget = createBudget(app, { requestsPerDay: 100, tokensPerDay: 100_000 });
  for (const tenant of [alice, alice, bob]) await budget.reserve(tenant, { estimatesPerDay: 10 });
  await budget.spend(alice, 1234);
  // Yesterday's usage too: erasure does not wait for the 7 days to pass.
  await owner.query(
    "INSERT INTO ai_usage (tenant_id, day, requests, tokens) VALUES ($1, (now() AT TIME ZONE 'UTC')::date - 1, 3, 50)",
    [alice],
  );
}, 60_000);

afterAll(async () => {
  await app.end();
  await owner.end();
  await db.drop();
});

const usageOf = async (tenant: string) =>
  (await owner.query('SELECT 1 FROM ai_usage WHERE tenant_id = $1', [tenant])).rowCount;

test('the export holds the person’s usage per day, with every column, and nobody else’s', async () => {
  const { ai_usage: rows } = await exportSubject(pgExecutor(app), alice);
  expect(rows).toEqual([
    { tenant_id: alice, day: expect.any(String) as string, requests: 3, tokens: 50, estimates: 0 },
    { tenant_id: alice, day: expect.any(String) as string, requests: 2, tokens: 1234, estimates: 2 },
  ]);
  const { rows: columns } = await owner.query<{ column_name: string }>(
    "SELECT column_name FROM information_schema.columns WHERE table_name = 'ai_usage'",
  );
  expect(Object.keys(rows[0] ?? {}).sort()).toEqual(columns.map((column) => column.column_name).sort());
  expect(JSON.stringify(rows)).not.toContain(bob);
});

test('erasure deletes exactly the person’s usage, and a second call answers zeros', async () => {
  expect(await eraseSubject(pgExecutor(app), alice)).toEqual({ ai_usage: 2 });
  expect(await usageOf(alice)).toBe(0);
  expect(await usageOf(bob)).toBe(1);
  expect(await eraseSubject(pgExecutor(app), alice)).toEqual({ ai_usage: 0 });
});

test('the owner runs the same erasure, as a restore re-applying the ledger does', async () => {
  const [row] = await pgExecutor(owner).query<{ counts: unknown }>(
    'SELECT privacy_erase_subject($1) AS counts',
    [bob],
  );
  expect(row?.counts).toEqual({ ai_usage: 1 });
  expect(await usageOf(bob)).toBe(0);
});

test('nobody but the runtime role and the owner may call it', async () => {
  const { rows } = await owner.query<{ grantee: string }>(
    `SELECT grantee FROM information_schema.routine_privileges
      WHERE routine_name = 'privacy_erase_subject' AND privilege_type = 'EXECUTE'`,
  );
  expect(rows.map((row) => row.grantee).sort()).toEqual(
    [`${db.database}_app`, `${db.database}_migrator`].sort(),
  );
});
