import { randomUUID } from 'node:crypto';
import path from 'node:path';

import { createPool, prismaExecutor } from '@tracking/kit';
import { createTestDatabase, type TestDatabase } from '@tracking/testing';
import type pg from 'pg';

import { verifyChain } from '../src/chain';
import { createPrisma, type PrismaClient } from '../src/db';
import { appendEntry } from '../src/entries';
import { eraseSubject, exportSubject } from '../src/privacy';
import { auditEvent, testKeyring } from './support';

/**
 * The audit log's part in a person's export and erasure (#22), on a real database: the export
 * holds the entries the person made or that are about them, with their own personal fields
 * decrypted and nobody else's; the erasure crypto-shreds their key through privacy_erase_subject,
 * records that once, and the whole chain verifies before and after.
 */
const kek = testKeyring();
const alice = randomUUID();
const bob = randomUUID();
const admin = randomUUID();
let db: TestDatabase;
let prisma: PrismaClient;
let owner: pg.Pool;

const append = (event: ReturnType<typeof auditEvent>) =>
  prisma.$transaction((tx) => appendEntry(tx, event, kek));
const erase = (subjectId: string) =>
  prisma.$transaction((tx) => eraseSubject(tx, prismaExecutor(tx), kek, subjectId));

beforeAll(async () => {
  db = await createTestDatabase(path.join(__dirname, '..', 'migrations'));
  prisma = createPrisma(db.appUrl);
  owner = createPool(db.migratorUrl, { max: 1 });
  await append(
    auditEvent(1, {
      actor: { userId: alice, role: 'client' },
      sourceIp: '198.51.100.1',
      userAgent: 'alice-agent',
    }),
  );
  await append(
    auditEvent(2, {
      actor: { userId: bob, role: 'client' },
      sourceIp: '198.51.100.2',
      userAgent: 'bob-agent',
    }),
  );
  // An admin acting on alice: the entry is about her, the address is the admin's.
  const search = auditEvent(3, {
    actor: { userId: admin, role: 'admin' },
    sourceIp: '203.0.113.9',
    userAgent: 'admin-agent',
  });
  await append({
    ...search,
    data: { ...search.data, action: 'auth.user.searched', subject: { type: 'user', id: alice } },
  });
}, 60_000);

afterAll(async () => {
  await prisma.$disconnect();
  await owner.end();
  await db.drop();
});

describe('the export', () => {
  test('holds the person’s entries as actor and as subject, their own fields decrypted and nobody else’s', async () => {
    const { audit_entry: entries } = await exportSubject(prisma, kek, alice);
    expect(entries.map((entry) => [entry.sequence, entry.action, entry.source_ip, entry.user_agent])).toEqual(
      [
        ['1', 'test.thing.done', '198.51.100.1', 'alice-agent'],
        ['3', 'auth.user.searched', null, null],
      ],
    );
    expect(entries[1]).toMatchObject({ actor_user_id: admin, subject_id: alice });
    expect(JSON.stringify(entries)).not.toMatch(/bob-agent|admin-agent|203\.0\.113\.9/);
  });

  test('names every column of the table', async () => {
    const { audit_entry: entries } = await exportSubject(prisma, kek, alice);
    const { rows } = await owner.query<{ column_name: string }>(
      "SELECT column_name FROM information_schema.columns WHERE table_name = 'audit_entry'",
    );
    expect(Object.keys(entries[0] ?? {}).sort()).toEqual(rows.map((row) => row.column_name).sort());
  });
});

describe('the erasure', () => {
  test('crypto-shreds the person, records it once, and the chain verifies before and after', async () => {
    expect(await verifyChain(prisma)).toMatchObject({ intact: true, entriesChecked: 3 });
    expect(await erase(alice)).toEqual({ subject_key: 1 });
    expect(await verifyChain(prisma)).toMatchObject({ intact: true, entriesChecked: 4 });
    const { audit_entry: entries } = await exportSubject(prisma, kek, alice);
    expect(entries.map((entry) => [entry.action, entry.source_ip, entry.user_agent])).toEqual([
      ['test.thing.done', null, null],
      ['auth.user.searched', null, null],
      ['audit.subject.erased', null, null],
    ]);
    expect(entries.at(-1)).toMatchObject({
      actor_service: 'privacy',
      actor_user_id: null,
      subject_id: alice,
    });
    // Bob's fields still open.
    const { audit_entry: bobs } = await exportSubject(prisma, kek, bob);
    expect(bobs.map((entry) => entry.user_agent)).toEqual(['bob-agent']);
  });

  test('a second call destroys nothing, records nothing and answers zeros', async () => {
    expect(await erase(alice)).toEqual({ subject_key: 0 });
    expect(await verifyChain(prisma)).toMatchObject({ intact: true, entriesChecked: 4 });
  });

  test('the owner re-applies it as a restore does, and only the runtime role and the owner may call it', async () => {
    const { rows } = await owner.query<{ counts: unknown }>('SELECT privacy_erase_subject($1) AS counts', [
      bob,
    ]);
    expect(rows[0]?.counts).toEqual({ subject_key: 1 });
    const { audit_entry: bobs } = await exportSubject(prisma, kek, bob);
    expect(bobs.map((entry) => entry.user_agent)).toEqual([null]);
    expect(await verifyChain(prisma)).toMatchObject({ intact: true, entriesChecked: 4 });
    const { rows: grants } = await owner.query<{ grantee: string }>(
      `SELECT grantee FROM information_schema.routine_privileges
        WHERE routine_name = 'privacy_erase_subject' AND privilege_type = 'EXECUTE'`,
    );
    expect(grants.map((grant) => grant.grantee).sort()).toEqual(
      [`${db.database}_app`, `${db.database}_migrator`].sort(),
    );
  });
});
