import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';

import { createPool, createRetentionMetrics } from '@tracking/kit';
import { createTestDatabase, infraEnv, type TestDatabase } from '@tracking/testing';
import pg from 'pg';
import { Registry } from 'prom-client';

import { purgeExpired, RETENTION_TASKS } from '../src/retention';

/**
 * Auth's retention job (#22, docs/privacy.md "Retention"), on a real database: sessions ended
 * more than 30 days ago, links spent or expired more than 7 days ago and devices not seen for a
 * year are gone; live sessions, unused links and recent devices stay; the run of each task is
 * recorded and the metrics show it.
 */
const MIGRATIONS = path.join(__dirname, '..', 'migrations');
const PERIODS = { sessionsDays: 30, tokensDays: 7, devicesDays: 365 };

let db: TestDatabase;
let app: pg.Pool;
/** A superuser on the test database: it sees what is really left. */
let inspector: pg.Client;
const user = randomUUID();

/** A session created `ageDays` ago, ending `endsInDays` from now (negative: ended), maybe revoked `revokedDaysAgo` ago. */
async function session(label: string, ageDays: number, endsInDays: number, revokedDaysAgo?: number) {
  await inspector.query(
    `INSERT INTO sessions (id, user_id, token_hash, aal, ip, user_agent, created_at, last_seen_at,
                           absolute_expires_at, revoked_at, revoked_reason)
     VALUES ($1, $2, $3, 1, '203.0.113.9', $4, now() - make_interval(days => $5), now() - make_interval(days => $5),
             now() + make_interval(days => $6), CASE WHEN $7::int IS NULL THEN NULL ELSE now() - make_interval(days => $7::int) END,
             CASE WHEN $7::int IS NULL THEN NULL ELSE 'signed_out' END)`,
    [randomUUID(), user, randomBytes(32), label, ageDays, endsInDays, revokedDaysAgo ?? null],
  );
}

async function token(label: string, expiresInDays: number, usedDaysAgo?: number) {
  await inspector.query(
    `INSERT INTO email_tokens (id, user_id, purpose, token_hash, new_email, created_at, expires_at, used_at)
     VALUES ($1, $2, 'change_email', $3, $4, now() - interval '60 days', now() + make_interval(days => $5),
             CASE WHEN $6::int IS NULL THEN NULL ELSE now() - make_interval(days => $6::int) END)`,
    [randomUUID(), user, randomBytes(32), `${label}@example.test`, expiresInDays, usedDaysAgo ?? null],
  );
}

async function device(value: string, lastSeenDaysAgo: number) {
  await inspector.query(
    `INSERT INTO sign_in_contexts (user_id, kind, value, first_seen_at, last_seen_at)
     VALUES ($1, 'network', $2, now() - interval '800 days', now() - make_interval(days => $3))`,
    [user, value, lastSeenDaysAgo],
  );
}

async function left(sql: string): Promise<string[]> {
  return (await inspector.query<{ v: string }>(sql)).rows.map((row) => row.v);
}

beforeAll(async () => {
  db = await createTestDatabase(MIGRATIONS);
  app = createPool(db.appUrl, { max: 2, name: 'retention-test' });
  const url = new URL(infraEnv().adminUrl);
  url.pathname = `/${db.database}`;
  inspector = new pg.Client({ connectionString: url.toString() });
  await inspector.connect();
  await inspector.query(
    `INSERT INTO users (id, email, password_hash, display_name, role) VALUES ($1, $2, '$argon2id$x', 'Retention', 'client')`,
    [user, `${user}@example.test`],
  );
  await session('live', 3, 11);
  await session('expired 40 days ago', 54, -40);
  await session('signed out 31 days ago, would expire later', 35, 10, 31);
  await session('signed out 5 days ago', 8, 6, 5);
  await token('unused', 1);
  await token('used 8 days ago', 1, 8);
  await token('expired 8 days ago', -8);
  await token('used 2 days ago', 1, 2);
  await device('198.51.100.0/24', 400);
  await device('192.0.2.0/24', 20);
}, 60_000);

afterAll(async () => {
  await inspector.end();
  await app.end();
  await db.drop();
});

test('the runtime role cannot delete sessions itself: only the retention function purges', async () => {
  await expect(app.query('DELETE FROM sessions')).rejects.toThrow(/permission denied/);
});

test('ended sessions, spent links and devices past their periods are gone; the rest stays', async () => {
  expect(await purgeExpired(app, PERIODS)).toEqual({ sessions: 2, email_tokens: 2, sign_in_contexts: 1 });
  expect(await left('SELECT user_agent AS v FROM sessions ORDER BY 1')).toEqual([
    'live',
    'signed out 5 days ago',
  ]);
  expect(await left("SELECT split_part(new_email, '@', 1) AS v FROM email_tokens ORDER BY 1")).toEqual([
    'unused',
    'used 2 days ago',
  ]);
  expect(await left('SELECT value AS v FROM sign_in_contexts')).toEqual(['192.0.2.0/24']);
  expect(await purgeExpired(app, PERIODS)).toEqual({ sessions: 0, email_tokens: 0, sign_in_contexts: 0 });
});

test('each task is recorded, and the metrics report when it last succeeded and what it purged', async () => {
  const registry = new Registry();
  createRetentionMetrics(registry, app, RETENTION_TASKS);
  const text = await registry.metrics();
  const value = (name: string, task: string) =>
    Number(
      text
        .split('\n')
        .find((line) => line.startsWith(`${name}{task="${task}"}`))
        ?.split(' ')
        .at(-1),
    );
  for (const task of RETENTION_TASKS) {
    expect(Date.now() / 1000 - value('retention_job_last_success_timestamp_seconds', task)).toBeLessThan(60);
  }
  expect(value('retention_job_rows_purged_total', 'auth-sessions')).toBe(2);
  expect(value('retention_job_rows_purged_total', 'auth-tokens')).toBe(2);
  expect(value('retention_job_rows_purged_total', 'auth-devices')).toBe(1);
});
