import path from 'node:path';

import { createPool, newEvent } from '@tracking/kit';
import { createTestDatabase, type TestDatabase } from '@tracking/testing';
import type pg from 'pg';

import { createPrisma, type PrismaClient } from '../src/db';
import { listQuery, testKeyring } from './support';
import { appendEntry } from '../src/entries';
import { listEntries } from '../src/query';

const MIGRATIONS = path.join(__dirname, '..', 'migrations');
const kek = testKeyring();
const TAMPERING = [
  'UPDATE audit_entry SET outcome = $1',
  'DELETE FROM audit_entry WHERE outcome <> $1',
  'TRUNCATE audit_entry',
];

describe('the audit log is append-only at the database level', () => {
  let fixture: { db: TestDatabase; prisma: PrismaClient; app: pg.Pool; owner: pg.Pool } | undefined;
  const setup = () => {
    if (!fixture) throw new Error('the test database was not set up');
    return fixture;
  };

  beforeAll(async () => {
    const db = await createTestDatabase(MIGRATIONS);
    fixture = {
      db,
      prisma: createPrisma(db.appUrl),
      app: createPool(db.appUrl, { max: 1 }),
      owner: createPool(db.migratorUrl, { max: 1 }),
    };
    const { prisma } = fixture;
    const event = newEvent({
      type: 'audit.recorded',
      actor: { service: 'test', userId: null, role: null },
      data: {
        action: 'test.thing.done',
        subject: { type: 'thing', id: '1' },
        outcome: 'success',
        sourceIp: '203.0.113.7',
        userAgent: null,
      },
    });
    await prisma.$transaction((tx) => appendEntry(tx, event, kek));
  });

  afterAll(async () => {
    await fixture?.prisma.$disconnect();
    await fixture?.app.end();
    await fixture?.owner.end();
    await fixture?.db.drop();
  });

  test.each(TAMPERING)("the service's own role is refused: %s", async (statement) => {
    const params = statement.includes('$1') ? ['failure'] : [];
    await expect(setup().app.query(statement, params)).rejects.toThrow(/permission denied/);
  });

  test.each(TAMPERING)('even the owning migration role is refused by the trigger: %s', async (statement) => {
    const params = statement.includes('$1') ? ['failure'] : [];
    await expect(setup().owner.query(statement, params)).rejects.toThrow(/append-only/);
  });

  test('the entry is still there, unchanged, after every attempt, its source IP sealed at rest', async () => {
    const { rows } = await setup().owner.query<{ outcome: string; source_ip: string }>(
      'SELECT outcome, source_ip FROM audit_entry',
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]?.outcome).toBe('success');
    expect(rows[0]?.source_ip).toMatch(/^v1\./);
    expect(rows[0]?.source_ip).not.toContain('203.0.113.7');
    const { entries } = await listEntries(setup().prisma, kek, listQuery({ pageSize: 10 }));
    expect(entries[0]?.personal.sourceIp).toBe('203.0.113.7');
  });

  test('a malformed audit event is refused as poison, not stored half-read', async () => {
    const event = newEvent({
      type: 'audit.recorded',
      actor: { service: 'test', userId: null, role: null },
      data: { action: 'NOT VALID' },
    });
    await expect(setup().prisma.$transaction((tx) => appendEntry(tx, event, kek))).rejects.toThrow(
      /invalid audit event: action, subject, outcome/,
    );
  });
});
