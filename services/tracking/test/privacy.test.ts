import { readFileSync } from 'node:fs';
import path from 'node:path';

import { dataInventorySchema } from '@tracking/contracts';
import { prismaExecutor } from '@tracking/kit';
import { createTestDatabase, infraEnv, type TestDatabase } from '@tracking/testing';
import pg from 'pg';
import { parse } from 'yaml';

import { openSupportAccess } from '../src/admin';
import { createPrisma, type PrismaClient } from '../src/db';
import { inviteClient } from '../src/links';
import { deleteMeal, logMeal } from '../src/meals';
import { EXPORT_TABLES, eraseSubject, exportSubject } from '../src/privacy';
import { coachedClient, person, type ClientRows } from './world';

/**
 * Tracking's part in a person's export and erasure (#22), on a real database: the export holds
 * every table the data inventory marks for export, with the columns it says, and nobody else's
 * rows; privacy_erase_subject deletes exactly the person's rows, soft-deleted meal text
 * included, as the runtime role (the saga) and as the owner (a restore re-applying the ledger),
 * and a second call changes nothing.
 */
const MIGRATIONS = path.join(__dirname, '..', 'migrations');
const inventory = dataInventorySchema.parse(
  parse(readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'data-inventory.yaml'), 'utf8')),
);
const trackingTables = inventory.databases.tracking ?? {};

let db: TestDatabase;
let prisma: PrismaClient;
/** A superuser on the test database, which bypasses row-level security: it sees what is really left. */
let inspector: pg.Client;
const trainerA = person('trainer', 'trainer-a');
const trainerB = person('trainer', 'trainer-b');
const admin = person('admin', 'admin');
let a1: ClientRows;
let b1: ClientRows;
const CANARY = 'canary-tiramisu-4711';

beforeAll(async () => {
  db = await createTestDatabase(MIGRATIONS);
  prisma = createPrisma(db.appUrl);
  a1 = await coachedClient(prisma, trainerA, 'a1');
  b1 = await coachedClient(prisma, trainerB, 'b1');
  // A meal a1 deleted: its text is still at rest until the erasure.
  const deleted = await logMeal(prisma, a1.client, {
    eatenAt: new Date(Date.now() - 7_200_000),
    mealType: 'snack',
    description: CANARY,
    photoRef: '',
  });
  await deleteMeal(prisma, a1.client, { mealId: deleted.id, expectedVersion: deleted.version });
  await openSupportAccess(prisma, admin, {
    clientId: a1.client.userId,
    reason: 'ticket 12: meals missing',
    minutes: 30,
  });
  // trainerA's open invitation to somebody else.
  await inviteClient(prisma, trainerA, { email: 'someone-else@example.test' }, 7);
  // Another trainer's open invitation to a1's address: it names a1 by the address alone.
  await inviteClient(prisma, person('trainer', 'trainer-c'), { email: a1.client.verifiedEmail ?? '' }, 7);
  const url = new URL(infraEnv().adminUrl);
  url.pathname = `/${db.database}`;
  inspector = new pg.Client({ connectionString: url.toString() });
  await inspector.connect();
}, 60_000);

afterAll(async () => {
  await inspector.end();
  await prisma.$disconnect();
  await db.drop();
});

const PERSONAL_TABLES = ['meal', 'metric', 'goal', 'comment', 'review', 'trainer_link', 'support_access'];

/** Rows of every table that mention `text` anywhere (ids, text, jsonb), as the superuser sees them. */
async function rowsMentioning(text: string): Promise<Record<string, number>> {
  const found: Record<string, number> = {};
  for (const table of PERSONAL_TABLES) {
    const { rows } = await inspector.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${table} t WHERE t::text LIKE '%' || $1 || '%'`,
      [text],
    );
    if (rows[0]?.n) found[table] = rows[0].n;
  }
  return found;
}

describe('the export', () => {
  test('holds every table the inventory marks for export, with exactly the columns it exports', async () => {
    // A client's export, with an admin's grants (a client's has none: see the next test).
    const exported = {
      ...(await exportSubject(prisma, a1.client.userId)),
      support_access: (await exportSubject(prisma, admin.userId)).support_access,
    };
    const marked = Object.entries(trackingTables)
      .filter(([, table]) => table.export)
      .map(([name]) => name);
    // daily_summary is derived from the meals, not a table.
    expect(EXPORT_TABLES.filter((name) => name !== 'daily_summary').sort()).toEqual(marked.sort());
    for (const name of marked) {
      const rows = exported[name as keyof typeof exported];
      expect({ name, rows: rows.length > 0 }).toEqual({ name, rows: true });
      const columns = Object.entries(trackingTables[name]?.columns ?? {})
        .filter(([, column]) => typeof column === 'string' || column.export !== false)
        .map(([column]) => column)
        .sort();
      expect({ name, columns: Object.keys(rows[0] ?? {}).sort() }).toEqual({ name, columns });
    }
    // The daily totals are described among the inventory's export views, column for column.
    const view = Object.keys(inventory.exportViews?.tracking?.daily_summary?.columns ?? {});
    expect(exported.daily_summary).toEqual([
      expect.objectContaining({ meals: expect.any(Number) as number, calories: 0 }),
    ]);
    expect(Object.keys(exported.daily_summary[0] ?? {})).toEqual(view);
  });

  test('gives a client their log, deleted meals included, and nobody else’s rows', async () => {
    const exported = await exportSubject(prisma, a1.client.userId);
    const text = JSON.stringify(exported);
    expect(exported.meal.map((meal) => meal.description)).toEqual(
      expect.arrayContaining([CANARY, "a1's private lunch"]),
    );
    expect(exported.meal.find((meal) => meal.description === CANARY)?.deleted_at).toEqual(expect.any(String));
    expect(exported.trainer_link).toEqual([expect.objectContaining({ id: a1.linkId })]);
    expect(exported.comment).toEqual([expect.objectContaining({ id: a1.commentId, body: 'Nice' })]);
    expect(exported.support_access).toEqual([]);
    expect(text).not.toContain(b1.client.userId);
    expect(text).not.toContain(b1.mealId);
  });

  test('gives a trainer their links and invitations and the comments they wrote, and an admin their grants', async () => {
    const trainer = await exportSubject(prisma, trainerA.userId);
    expect(trainer.trainer_link.map((link) => link.invited_email)).toEqual([
      a1.client.verifiedEmail,
      'someone-else@example.test',
    ]);
    expect(trainer.comment).toEqual([expect.objectContaining({ id: a1.commentId })]);
    expect(trainer.meal).toEqual([]);
    expect(JSON.stringify(trainer)).not.toContain(b1.client.userId);
    const grants = await exportSubject(prisma, admin.userId);
    expect(grants.support_access).toEqual([
      expect.objectContaining({ client_id: a1.client.userId, reason: 'ticket 12: meals missing' }),
    ]);
  });

  test('refuses an id that is not a uuid', async () => {
    await expect(exportSubject(prisma, "x' OR 1=1 --")).rejects.toThrow();
  });
});

describe('privacy_erase_subject', () => {
  test('deletes exactly the client’s rows, deleted meals’ text included, and leaves another client’s', async () => {
    const before = await rowsMentioning(b1.client.userId);
    expect(await rowsMentioning(CANARY)).toEqual({ meal: 1 });

    const counts = await eraseSubject(prismaExecutor(prisma), a1.client.userId);
    expect(counts).toEqual({
      meal: 2,
      metric: 1,
      goal: 1,
      review: 1,
      comment: 1,
      // Their link, and the other trainer's invitation nobody answered.
      trainer_link: 2,
      support_access: 1,
      'goal.set_by': 0,
      'review.requested_by': 0,
    });
    expect(await rowsMentioning(a1.client.userId)).toEqual({});
    expect(await rowsMentioning(CANARY)).toEqual({});
    expect(await rowsMentioning(a1.client.verifiedEmail ?? 'unset')).toEqual({});
    expect(await rowsMentioning(b1.client.userId)).toEqual(before);
  });

  test('a second call changes nothing and answers zeros', async () => {
    const counts = await eraseSubject(prismaExecutor(prisma), a1.client.userId);
    expect(Object.values(counts).every((n) => n === 0)).toBe(true);
    expect(Object.keys(counts)).toHaveLength(9);
  });

  test('erasing a trainer deletes their links and comments and takes their id off their client’s record', async () => {
    const counts = await eraseSubject(prismaExecutor(prisma), trainerB.userId);
    expect(counts).toMatchObject({
      trainer_link: 1,
      comment: 1,
      meal: 0,
      'goal.set_by': 1,
      'review.requested_by': 1,
    });
    expect(await rowsMentioning(trainerB.userId)).toEqual({});
    // The client's own record stays: their meal, metric, goals and review.
    expect(await rowsMentioning(b1.client.userId)).toEqual({ meal: 1, metric: 1, goal: 1, review: 1 });
    const { rows } = await inspector.query<{ set_by: string }>(
      'SELECT set_by FROM goal WHERE client_id = $1',
      [b1.client.userId],
    );
    expect(rows).toEqual([{ set_by: '00000000-0000-0000-0000-000000000000' }]);
  });

  test('runs as the owner too, as a restore re-applying the erasure ledger does', async () => {
    const owner = new pg.Client({ connectionString: db.migratorUrl });
    await owner.connect();
    try {
      const { rows } = await owner.query<{ counts: Record<string, number> }>(
        'SELECT privacy_erase_subject($1) AS counts',
        [trainerA.userId],
      );
      // trainerA's remaining open invitation.
      expect(rows[0]?.counts).toMatchObject({ trainer_link: 1 });
      expect(await rowsMentioning(trainerA.userId)).toEqual({});
    } finally {
      await owner.end();
    }
  });

  test('is the runtime role’s only way to delete, and its setting lets the runtime role see nothing', async () => {
    const app = new pg.Client({ connectionString: db.appUrl });
    await app.connect();
    try {
      await expect(app.query('DELETE FROM meal')).rejects.toThrow(/permission denied/);
      await app.query('BEGIN');
      await app.query(
        "SELECT set_config('tracking.privacy_erasure', 'on', true), set_config('tracking.role', 'privacy-erasure', true)",
      );
      for (const table of PERSONAL_TABLES) {
        const { rows } = await app.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
        expect({ table, n: rows[0]?.n }).toEqual({ table, n: 0 });
      }
      await app.query('ROLLBACK');
      await expect(app.query('SELECT privacy_erase_subject(NULL)')).rejects.toThrow(/needs a person/);
    } finally {
      await app.end();
    }
  });
});
