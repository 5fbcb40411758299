import { randomUUID } from 'node:crypto';
import path from 'node:path';

import { createPool } from '@tracking/kit';
import { createTestDatabase, type TestDatabase } from '@tracking/testing';
import type pg from 'pg';

import { verifyChain } from '../src/chain';
import { createPrisma, type PrismaClient } from '../src/db';
import { appendEntries, appendEntry } from '../src/entries';
import { listEntries } from '../src/query';
import { eraseSubject } from '../src/erasure';
import { auditEvent, listQuery, testKeyring } from './support';

const MIGRATIONS = path.join(__dirname, '..', 'migrations');
const kek = testKeyring();

describe('erasing a person from the audit log (crypto-shredding)', () => {
  const alice = randomUUID();
  const bob = randomUUID();
  const admin = { service: 'test', userId: randomUUID(), role: 'admin' };
  let fixture: { db: TestDatabase; prisma: PrismaClient; owner: pg.Pool } | undefined;
  const setup = () => {
    if (!fixture) throw new Error('the test database was not set up');
    return fixture;
  };

  beforeAll(async () => {
    const db = await createTestDatabase(MIGRATIONS);
    fixture = { db, prisma: createPrisma(db.appUrl), owner: createPool(db.migratorUrl, { max: 1 }) };
    const people = [alice, alice, bob, alice, bob];
    for (const [index, userId] of people.entries()) {
      const event = auditEvent(index, {
        actor: { userId },
        sourceIp: `198.51.100.${String(index + 1)}`,
        userAgent: `agent-of-${userId}`,
      });
      await fixture.prisma.$transaction((tx) => appendEntry(tx, event, kek));
    }
  });

  afterAll(async () => {
    await fixture?.prisma.$disconnect();
    await fixture?.owner.end();
    await fixture?.db.drop();
  });

  const personalOf = async (userId: string) => {
    const { entries } = await listEntries(setup().prisma, kek, listQuery({ pageSize: 100 }));
    return entries.filter((entry) => entry.actorUserId === userId).map((entry) => entry.personal);
  };

  test('personal fields are sealed at rest and readable through the service before erasure', async () => {
    const dump = JSON.stringify((await setup().owner.query('SELECT * FROM audit_entry')).rows);
    expect(dump).not.toMatch(/198\.51\.100\.|agent-of-/);
    expect(await personalOf(alice)).toEqual([
      { sourceIp: '198.51.100.1', userAgent: `agent-of-${alice}` },
      { sourceIp: '198.51.100.2', userAgent: `agent-of-${alice}` },
      { sourceIp: '198.51.100.4', userAgent: `agent-of-${alice}` },
    ]);
  });

  test('after erasure the entries still verify, the person’s fields no longer decrypt, and others’ still do', async () => {
    const { sequence } = await eraseSubject(setup().prisma, kek, alice, admin);
    expect(sequence).toBe(6n);
    expect(await verifyChain(setup().prisma)).toMatchObject({ intact: true, entriesChecked: 6 });
    expect(await personalOf(alice)).toEqual([
      { sourceIp: null, userAgent: null },
      { sourceIp: null, userAgent: null },
      { sourceIp: null, userAgent: null },
    ]);
    expect(await personalOf(bob)).toEqual([
      { sourceIp: '198.51.100.3', userAgent: `agent-of-${bob}` },
      { sourceIp: '198.51.100.5', userAgent: `agent-of-${bob}` },
    ]);
    // The ciphertext is still there, so the chain holds; only the key is gone.
    const sealed = await setup().owner.query<{ source_ip: string | null }>(
      'SELECT source_ip FROM audit_entry WHERE actor_user_id = $1',
      [alice],
    );
    expect(sealed.rows.every((row) => row.source_ip?.startsWith('v1.'))).toBe(true);
    const key = await setup().owner.query(
      'SELECT wrapped_key, erased_at FROM subject_key WHERE subject_id = $1',
      [alice],
    );
    expect(key.rows[0]).toMatchObject({ wrapped_key: null, erased_at: expect.any(Date) as Date });
  });

  test('the erasure itself is an audit entry', async () => {
    const { entries } = await listEntries(setup().prisma, kek, listQuery({ pageSize: 100 }));
    expect(entries.at(-1)).toMatchObject({
      action: 'audit.subject.erased',
      subjectType: 'user',
      subjectId: alice,
      actorUserId: admin.userId,
      actorRole: 'admin',
    });
  });

  test('personal data arriving for an erased person later is not stored', async () => {
    const late = auditEvent(99, {
      actor: { userId: alice },
      sourceIp: '198.51.100.99',
      userAgent: 'late-agent',
    });
    await setup().prisma.$transaction((tx) => appendEntry(tx, late, kek));
    const row = await setup().owner.query(
      'SELECT source_ip, user_agent FROM audit_entry WHERE event_id = $1',
      [late.id],
    );
    expect(row.rows).toEqual([{ source_ip: null, user_agent: null }]);
    expect(await verifyChain(setup().prisma)).toMatchObject({ intact: true, entriesChecked: 7 });
  });

  test('a batch appended in one transaction seals each person under their own key, and stores nothing for the erased', async () => {
    const carol = randomUUID();
    const batch = [
      auditEvent(100, { actor: { userId: carol }, sourceIp: '198.51.100.100', userAgent: 'carol-1' }),
      auditEvent(101, { actor: { userId: alice }, sourceIp: '198.51.100.101', userAgent: 'late-again' }),
      auditEvent(102, { actor: { userId: carol }, sourceIp: '198.51.100.102', userAgent: 'carol-2' }),
      auditEvent(103, { actor: { userId: bob }, sourceIp: '198.51.100.103', userAgent: 'bob-3' }),
    ];
    const appended = await setup().prisma.$transaction((tx) => appendEntries(tx, batch, kek));
    expect(appended.map((entry) => entry.sequence)).toEqual([8n, 9n, 10n, 11n]);
    expect(await verifyChain(setup().prisma)).toMatchObject({ intact: true, entriesChecked: 11 });
    expect((await personalOf(carol)).map((fields) => fields.userAgent)).toEqual(['carol-1', 'carol-2']);
    expect((await personalOf(bob)).at(-1)).toEqual({ sourceIp: '198.51.100.103', userAgent: 'bob-3' });
    expect((await personalOf(alice)).every((fields) => fields.sourceIp === null)).toBe(true);
    const stored = await setup().owner.query('SELECT source_ip FROM audit_entry WHERE event_id = $1', [
      batch[1]?.id,
    ]);
    expect(stored.rows).toEqual([{ source_ip: null }]);
    // One key for carol, however many of her events the batch held.
    const keys = await setup().owner.query(
      'SELECT count(*)::int AS n FROM subject_key WHERE subject_id = $1',
      [carol],
    );
    expect(keys.rows).toEqual([{ n: 1 }]);
  });

  test('a batch with one unreadable event appends nothing', async () => {
    const bad = { ...auditEvent(200), data: { action: 'NOT VALID' } };
    await expect(
      setup().prisma.$transaction((tx) => appendEntries(tx, [auditEvent(199), bad], kek)),
    ).rejects.toThrow(/invalid audit event/);
    expect(await verifyChain(setup().prisma)).toMatchObject({ entriesChecked: 11 });
  });

  test('an erasure request without a subject is refused and changes nothing', async () => {
    await expect(eraseSubject(setup().prisma, kek, '', admin)).rejects.toMatchObject({
      code: 'invalid_argument',
    });
    expect(await verifyChain(setup().prisma)).toMatchObject({ entriesChecked: 11 });
  });
});
