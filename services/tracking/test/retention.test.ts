import { randomUUID } from 'node:crypto';
import path from 'node:path';

import { createPool, createRetentionMetrics } from '@tracking/kit';
import { createTestDatabase, infraEnv, type TestDatabase } from '@tracking/testing';
import pg from 'pg';
import { Registry } from 'prom-client';

import { purgeDeletedEntries, RETENTION_TASKS } from '../src/retention';

/**
 * Tracking's retention job (#22, docs/privacy.md "Retention"), on a real database: a meal or
 * metric deleted more than the stated period ago is gone, text and row, with the comments on it;
 * one deleted more recently, and every live one however old, stays; the runtime role can do it
 * only through the function; the run is recorded and the metrics show it.
 */
const MIGRATIONS = path.join(__dirname, '..', 'migrations');
const CANARY = `canary-deleted-meal-${randomUUID()}`;

let db: TestDatabase;
let app: pg.Pool;
/** A superuser on the test database: it bypasses row-level security and sees what is really left. */
let inspector: pg.Client;
const client = randomUUID();
const trainer = randomUUID();

async function meal(description: string, deletedDaysAgo: number | null): Promise<string> {
  const id = randomUUID();
  await inspector.query(
    `INSERT INTO meal (id, client_id, eaten_at, meal_type, description, deleted_at)
     VALUES ($1, $2, now() - interval '90 days', 'lunch', $3,
             CASE WHEN $4::int IS NULL THEN NULL ELSE now() - make_interval(days => $4::int) END)`,
    [id, client, description, deletedDaysAgo],
  );
  return id;
}

async function metric(notes: string, deletedDaysAgo: number | null): Promise<void> {
  await inspector.query(
    `INSERT INTO metric (id, client_id, recorded_at, notes, deleted_at)
     VALUES ($1, $2, now() - interval '90 days', $3,
             CASE WHEN $4::int IS NULL THEN NULL ELSE now() - make_interval(days => $4::int) END)`,
    [randomUUID(), client, notes, deletedDaysAgo],
  );
}

async function texts(): Promise<{ meals: string[]; metrics: string[]; comments: string[] }> {
  const meals = await inspector.query<{ t: string }>('SELECT description AS t FROM meal ORDER BY 1');
  const metrics = await inspector.query<{ t: string }>('SELECT notes AS t FROM metric ORDER BY 1');
  const comments = await inspector.query<{ t: string }>('SELECT body AS t FROM comment ORDER BY 1');
  const all = (result: pg.QueryResult<{ t: string }>) => result.rows.map((row) => row.t);
  return { meals: all(meals), metrics: all(metrics), comments: all(comments) };
}

beforeAll(async () => {
  db = await createTestDatabase(MIGRATIONS);
  app = createPool(db.appUrl, { max: 2, name: 'retention-test' });
  const url = new URL(infraEnv().adminUrl);
  url.pathname = `/${db.database}`;
  inspector = new pg.Client({ connectionString: url.toString() });
  await inspector.connect();
  const old = await meal(`${CANARY} deleted 40 days ago`, 40);
  await inspector.query(
    'INSERT INTO comment (id, client_id, author_id, meal_id, body) VALUES ($1, $2, $3, $4, $5)',
    [randomUUID(), client, trainer, old, 'comment on the old deleted meal'],
  );
  await meal('deleted 10 days ago', 10);
  await meal('live for 90 days', null);
  await metric('metric deleted 31 days ago', 31);
  await metric('live metric', null);
}, 60_000);

afterAll(async () => {
  await inspector.end();
  await app.end();
  await db.drop();
});

test('the runtime role cannot delete a meal itself: only the retention function purges', async () => {
  await expect(app.query('DELETE FROM meal')).rejects.toThrow(/permission denied/);
});

test('a period over the stated 30 days is refused', async () => {
  await expect(purgeDeletedEntries(app, 31)).rejects.toThrow(/between 0 and 30 days/);
});

test('entries deleted more than 30 days ago are gone with the comments on them; newer deletions and live entries stay', async () => {
  const purged = await purgeDeletedEntries(app, 30);
  expect(purged).toEqual({ comment: 1, meal: 1, metric: 1 });
  const left = await texts();
  expect(left).toEqual({
    meals: ['deleted 10 days ago', 'live for 90 days'],
    metrics: ['live metric'],
    comments: [],
  });
  expect(JSON.stringify(left)).not.toContain(CANARY);
  // A second run finds nothing more.
  expect(await purgeDeletedEntries(app, 30)).toEqual({ comment: 0, meal: 0, metric: 0 });
});

test('each run is recorded, and the metrics report when the job last succeeded and what it purged', async () => {
  const registry = new Registry();
  createRetentionMetrics(registry, app, RETENTION_TASKS);
  const text = await registry.metrics();
  const value = (name: string) =>
    Number(
      text
        .split('\n')
        .find((line) => line.startsWith(`${name}{task="tracking-deleted-entries"}`))
        ?.split(' ')
        .at(-1),
    );
  expect(Date.now() / 1000 - value('retention_job_last_success_timestamp_seconds')).toBeLessThan(60);
  expect(value('retention_job_rows_purged_total')).toBe(3);
});
