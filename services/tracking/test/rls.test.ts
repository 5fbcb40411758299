import path from 'node:path';

import { newEvent } from '@tracking/kit';
import { createTestDatabase, type TestDatabase } from '@tracking/testing';
import pg from 'pg';

import { asActor, createPrisma, type PrismaClient } from '../src/db';
import { applyAiResult } from '../src/ai-results';
import { endLink, inviteClient } from '../src/links';
import { getMeal } from '../src/meals';
import { coachedClient, person, type ClientRows } from './world';

/**
 * The isolation promise at the database itself: whatever query the service sends, as its own
 * runtime role, one trainer's transaction cannot see, change or remove another trainer's
 * clients' rows. These tests talk SQL directly, so a bug in the service's own checks cannot
 * hide a missing policy.
 */
const MIGRATIONS = path.join(__dirname, '..', 'migrations');

/** Tables that hold no client data, each with the reason it needs no row-level security. */
const WITHOUT_RLS: Record<string, string> = {
  activity: 'one row per write, a day and a kind: no client id, no text',
  retention_run: 'when each retention purge ran and how many rows it removed: no client id, no text',
  processed_event: "the consumer's record of event ids",
  schemaversion: 'migration bookkeeping',
  kit_schemaversion: 'migration bookkeeping',
  outbox:
    'events on their way to Kafka, read by the relay; purged after publishing (see docs/tracking.md, "What RLS does not cover")',
};

let db: TestDatabase;
let prisma: PrismaClient;
let app: pg.Client;
const trainerA = person('trainer', 'trainer-a');
const trainerB = person('trainer', 'trainer-b');
let a1: ClientRows;
let b1: ClientRows;

beforeAll(async () => {
  db = await createTestDatabase(MIGRATIONS);
  prisma = createPrisma(db.appUrl);
  a1 = await coachedClient(prisma, trainerA, 'a1');
  b1 = await coachedClient(prisma, trainerB, 'b1');
  app = new pg.Client({ connectionString: db.appUrl });
  await app.connect();
}, 60_000);

afterAll(async () => {
  await app.end();
  await prisma.$disconnect();
  await db.drop();
});

/** Runs `sql` as the app role in one transaction acting as `who`, and rolls it back. */
async function asUser(
  who: { userId: string; role: string; verifiedEmail?: string | null },
  sql: string,
  params: unknown[] = [],
): Promise<pg.QueryResult> {
  await app.query('BEGIN');
  try {
    await app.query(
      `SELECT set_config('tracking.user_id', $1, true), set_config('tracking.role', $2, true),
              set_config('tracking.email', $3, true)`,
      [who.userId, who.role, who.verifiedEmail ?? ''],
    );
    return await app.query(sql, params);
  } finally {
    await app.query('ROLLBACK');
  }
}

const clientTables = ['meal', 'metric', 'goal', 'comment', 'review', 'trainer_link', 'support_access'];

describe('the schema', () => {
  test('every table but the listed ones has row-level security enabled and forced', async () => {
    const { rows } = await app.query<{
      relname: string;
      relrowsecurity: boolean;
      relforcerowsecurity: boolean;
    }>(
      `SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')`,
    );
    const unprotected = rows
      .filter((row) => !(row.relrowsecurity && row.relforcerowsecurity))
      .map((row) => row.relname)
      .sort();
    expect(unprotected).toEqual(Object.keys(WITHOUT_RLS).sort());
    expect(rows.map((row) => row.relname)).toEqual(expect.arrayContaining(clientTables));
  });

  test('the runtime role owns no table, is no superuser and cannot bypass row-level security', async () => {
    const { rows: role } = await app.query<{
      rolsuper: boolean;
      rolbypassrls: boolean;
      rolcreaterole: boolean;
    }>('SELECT rolsuper, rolbypassrls, rolcreaterole FROM pg_roles WHERE rolname = current_user');
    expect(role).toEqual([{ rolsuper: false, rolbypassrls: false, rolcreaterole: false }]);
    const { rows: owned } = await app.query(
      `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND pg_get_userbyid(c.relowner) = current_user`,
    );
    expect(owned).toEqual([]);
    // Not a member of any role that owns the tables either (ownership would bypass unforced RLS).
    const { rows: memberships } = await app.query(
      `SELECT b.rolname FROM pg_auth_members m JOIN pg_roles b ON b.oid = m.roleid
        WHERE m.member = (SELECT oid FROM pg_roles WHERE rolname = current_user)`,
    );
    expect(memberships).toEqual([]);
  });

  test('with nobody named as acting, the runtime role sees no client data at all', async () => {
    for (const table of clientTables) {
      const { rows } = await app.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
      expect({ table, n: rows[0]?.n }).toEqual({ table, n: 0 });
    }
  });
});

describe('one trainer against another trainer’s client, in SQL as the runtime role', () => {
  const rowsOf = (rows: ClientRows): [string, string][] => [
    ['meal', rows.mealId],
    ['metric', rows.metricId],
    ['comment', rows.commentId],
    ['review', rows.reviewId],
    ['trainer_link', rows.linkId],
  ];

  test('trainer A sees their own client’s rows (the policies are not simply closed)', async () => {
    for (const [table, id] of rowsOf(a1)) {
      const { rowCount } = await asUser(trainerA, `SELECT 1 FROM ${table} WHERE id = $1`, [id]);
      expect({ table, rowCount }).toEqual({ table, rowCount: 1 });
    }
    const goal = await asUser(trainerA, 'SELECT 1 FROM goal WHERE client_id = $1', [a1.client.userId]);
    expect(goal.rowCount).toBe(1);
  });

  test('reads of B’s client’s rows by id, by client id and in bulk return zero rows', async () => {
    for (const [table, id] of rowsOf(b1)) {
      expect((await asUser(trainerA, `SELECT * FROM ${table} WHERE id = $1`, [id])).rowCount).toBe(0);
    }
    for (const table of ['meal', 'metric', 'goal', 'comment', 'review']) {
      const { rowCount } = await asUser(trainerA, `SELECT * FROM ${table} WHERE client_id = $1`, [
        b1.client.userId,
      ]);
      expect({ table, rowCount }).toEqual({ table, rowCount: 0 });
      const all = await asUser(trainerA, `SELECT DISTINCT client_id FROM ${table}`);
      expect(all.rows.map((row: { client_id: string }) => row.client_id)).not.toContain(b1.client.userId);
    }
  });

  test('updates of B’s client’s rows change zero rows', async () => {
    const updates: [string, string][] = [
      ['meal', "description = 'hijacked'"],
      ['metric', "notes = 'hijacked'"],
      ['review', "content = 'hijacked'"],
      ['trainer_link', "status = 'ended'"],
    ];
    for (const [table, set] of updates) {
      const id = rowsOf(b1).find(([name]) => name === table)?.[1];
      const { rowCount } = await asUser(trainerA, `UPDATE ${table} SET ${set} WHERE id = $1`, [id]);
      expect({ table, rowCount }).toEqual({ table, rowCount: 0 });
    }
    const goal = await asUser(trainerA, 'UPDATE goal SET calories = 1 WHERE client_id = $1', [
      b1.client.userId,
    ]);
    expect(goal.rowCount).toBe(0);
    const everything = await asUser(trainerA, "UPDATE meal SET description = 'hijacked'");
    expect(everything.rowCount).toBe(0); // trainers never change meals, not even their own clients'
  });

  test('deletes are refused outright: the runtime role has no DELETE on client data', async () => {
    for (const [table, id] of rowsOf(b1)) {
      await expect(asUser(trainerA, `DELETE FROM ${table} WHERE id = $1`, [id])).rejects.toThrow(
        /permission denied/,
      );
    }
  });

  test('rows written for B’s client are refused by the policies', async () => {
    const attempts = [
      [
        `INSERT INTO goal (client_id, calories, protein_g, carbs_g, fat_g, set_by) VALUES ($1, 1, 1, 1, 1, $2)`,
      ],
      [`INSERT INTO comment (id, client_id, author_id, body) VALUES (gen_random_uuid(), $1, $2, 'x')`],
      [
        `INSERT INTO review (id, client_id, week_start, status, requested_by)
         VALUES (gen_random_uuid(), $1, date_trunc('week', now())::date, 'requested', $2)`,
      ],
      [
        `INSERT INTO meal (id, client_id, eaten_at, meal_type, description)
         VALUES (gen_random_uuid(), $1, now(), 'lunch', 'x') RETURNING $2::uuid`,
      ],
    ];
    for (const [sql] of attempts) {
      await expect(asUser(trainerA, sql ?? '', [b1.client.userId, trainerA.userId])).rejects.toThrow(
        /row-level security/,
      );
    }
  });

  test('nothing of B’s client changed after all that', async () => {
    const { rows } = await asUser(
      b1.client,
      'SELECT description, version, deleted_at FROM meal WHERE id = $1',
      [b1.mealId],
    );
    expect(rows).toEqual([{ description: "b1's private lunch", version: 1, deleted_at: null }]);
  });

  test('a client sees only themself: not another client of the same trainer', async () => {
    const a2 = await coachedClient(prisma, trainerA, 'a2');
    const { rowCount } = await asUser(a1.client, 'SELECT 1 FROM meal WHERE client_id = $1', [
      a2.client.userId,
    ]);
    expect(rowCount).toBe(0);
  });

  test('an admin sees no client’s meals without a break-glass grant', async () => {
    const admin = person('admin', 'admin');
    expect((await asUser(admin, 'SELECT 1 FROM meal')).rowCount).toBe(0);
    expect((await asUser(admin, 'SELECT 1 FROM trainer_link')).rowCount).toBe(0);
  });
});

describe('a failed estimate, asked for again in SQL as the runtime role', () => {
  /** The AI service's failure for a meal's first version, stored as the results consumer would. */
  const fail = (mealId: string) =>
    asActor(prisma, { system: 'ai-results' }, (tx) =>
      applyAiResult(
        tx,
        newEvent({
          type: 'ai.meal.estimation_failed',
          actor: { service: 'ai-inference', userId: null, role: null },
          data: {
            mealId,
            mealVersion: 1,
            reason: 'providers_unavailable',
            failedAt: new Date().toISOString(),
          },
        }),
      ),
    );
  const retry = "UPDATE meal SET estimate_status = 'pending', estimate_failure = NULL WHERE id = $1";
  let a3: ClientRows;
  let b3: ClientRows;

  beforeAll(async () => {
    a3 = await coachedClient(prisma, trainerA, 'a3');
    b3 = await coachedClient(prisma, trainerB, 'b3');
    await fail(a3.mealId);
    await fail(b3.mealId);
  });

  test('trainer A cannot touch B’s client’s failed estimate', async () => {
    expect((await asUser(trainerA, retry, [b3.mealId])).rowCount).toBe(0);
  });

  test('trainer A may turn their own client’s failed estimate back to pending, and change nothing else', async () => {
    expect((await asUser(trainerA, retry, [a3.mealId])).rowCount).toBe(1);
    await expect(
      asUser(
        trainerA,
        "UPDATE meal SET estimate_status = 'pending', estimate_failure = NULL, description = 'hijacked' WHERE id = $1",
        [a3.mealId],
      ),
    ).rejects.toThrow(/may only ask for a failed estimate again/);
    await expect(
      asUser(
        trainerA,
        "UPDATE meal SET estimate_status = 'estimated', estimate_failure = NULL WHERE id = $1",
        [a3.mealId],
      ),
    ).rejects.toThrow(/row-level security|estimated_has_version/);
    // A meal whose estimate has not failed is not the trainer's to update at all.
    expect((await asUser(trainerA, retry, [a1.mealId])).rowCount).toBe(0);
  });

  test('the AI results consumer may write the new result columns, and still nothing else', async () => {
    const system = { userId: '', role: 'ai-results' };
    const write = await asUser(
      system,
      `UPDATE meal SET estimate_status = 'estimated', estimate_failure = NULL, calories = 1,
              estimated_version = 1, estimate_items = '[]', estimate_confidence = 'low', estimate_model = 'm'
        WHERE id = $1`,
      [a3.mealId],
    );
    expect(write.rowCount).toBe(1);
    await expect(
      asUser(system, "UPDATE meal SET photo_ref = 'x' WHERE id = $1", [a3.mealId]),
    ).rejects.toThrow(/may only write results/);
    await expect(
      asUser(system, "UPDATE review SET source = 'offline', requested_by = gen_random_uuid() WHERE id = $1", [
        a3.reviewId,
      ]),
    ).rejects.toThrow(/may only write results/);
  });
});

describe('an ended link', () => {
  test('cuts the trainer off in the same transaction that ends it', async () => {
    const trainer = person('trainer', 'trainer-c');
    const c1 = await coachedClient(prisma, trainer, 'c1');
    await expect(getMeal(prisma, trainer, c1.mealId)).resolves.toMatchObject({ id: c1.mealId });
    await endLink(prisma, c1.client, c1.linkId);
    await expect(getMeal(prisma, trainer, c1.mealId)).rejects.toMatchObject({ code: 'not_found' });
    for (const table of ['meal', 'metric', 'goal', 'comment', 'review']) {
      const { rowCount } = await asUser(trainer, `SELECT 1 FROM ${table} WHERE client_id = $1`, [
        c1.client.userId,
      ]);
      expect({ table, rowCount }).toEqual({ table, rowCount: 0 });
    }
  });
});

describe('the allowed changes of a link and a break-glass grant, enforced by the database itself (#20)', () => {
  /** What the link's trainer sees of it. */
  const linkOf = async (trainer: { userId: string; role: string }, id: string) =>
    (await asUser(trainer, 'SELECT status, client_id::text FROM trainer_link WHERE id = $1', [id]))
      .rows[0] as unknown;

  test('a trainer cannot turn their own pending invitation into an active link to any client', async () => {
    const trainer = person('trainer', 'trainer-d');
    const victim = person('client', 'victim');
    const invitation = await inviteClient(prisma, trainer, { email: 'nobody-in-particular@example.test' }, 7);
    await expect(
      asUser(
        trainer,
        "UPDATE trainer_link SET status = 'active', client_id = $1, accepted_at = now() WHERE id = $2",
        [victim.userId, invitation.id],
      ),
    ).rejects.toThrow(/not allowed for role trainer/);
    await expect(
      asUser(trainer, 'UPDATE trainer_link SET invited_email = $1 WHERE id = $2', [
        victim.verifiedEmail,
        invitation.id,
      ]),
    ).rejects.toThrow(/parties and times cannot change/);
    expect(await linkOf(trainer, invitation.id)).toEqual({ status: 'pending', client_id: null });
  });

  test('an ended link stays ended: neither side can bring it back', async () => {
    const trainer = person('trainer', 'trainer-e');
    const e1 = await coachedClient(prisma, trainer, 'e1');
    await endLink(prisma, e1.client, e1.linkId);
    for (const who of [trainer, e1.client]) {
      await expect(
        asUser(
          who,
          "UPDATE trainer_link SET status = 'active', ended_at = NULL, ended_by = NULL WHERE id = $1",
          [e1.linkId],
        ),
      ).rejects.toThrow(/not allowed for role/);
    }
    expect(await linkOf(trainer, e1.linkId)).toEqual({ status: 'ended', client_id: e1.client.userId });
  });

  test('only the invited client accepts, and the allowed changes still work in SQL', async () => {
    const trainer = person('trainer', 'trainer-f');
    const invited = person('client', 'invited');
    const invitation = await inviteClient(prisma, trainer, { email: invited.verifiedEmail }, 7);
    const accept =
      "UPDATE trainer_link SET status = 'active', client_id = $1, accepted_at = now() WHERE id = $2";
    await expect(asUser(trainer, accept, [invited.userId, invitation.id])).rejects.toThrow(/not allowed/);
    const accepted = await asUser(invited, accept, [invited.userId, invitation.id]);
    expect(accepted.rowCount).toBe(1);
    const withdrawn = await asUser(
      trainer,
      "UPDATE trainer_link SET status = 'ended', ended_at = now(), ended_by = $1 WHERE id = $2",
      [trainer.userId, invitation.id],
    );
    expect(withdrawn.rowCount).toBe(1);
  });

  test('a grant starts when it is written, whatever start the admin sends, and lasts at most 60 minutes', async () => {
    const admin = person('admin', 'admin-g');
    const client = person('client', 'supported-g');
    const { rows } = await asUser(
      admin,
      `INSERT INTO support_access (id, admin_id, client_id, reason, created_at, expires_at)
       VALUES (gen_random_uuid(), $1, $2, 'ticket 44: looking at meals', '2100-01-01T00:00:00Z', '2100-01-01T00:59:00Z')
       RETURNING created_at = now() AS starts_now, expires_at <= now() + interval '60 minutes' AS bounded`,
      [admin.userId, client.userId],
    );
    expect(rows).toEqual([{ starts_now: true, bounded: true }]);
    await expect(
      asUser(
        admin,
        `INSERT INTO support_access (id, admin_id, client_id, reason, expires_at)
         VALUES (gen_random_uuid(), $1, $2, 'ticket 45: already over', now() - interval '1 minute')`,
        [admin.userId, client.userId],
      ),
    ).rejects.toThrow(/must end after it starts/);
  });
});
