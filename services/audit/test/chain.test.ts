import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { newEvent } from '@tracking/kit';
import { createTestDatabase, startProcess, type TestDatabase } from '@tracking/testing';
import type pg from 'pg';

import { entryHash, GENESIS_HASH, verifyChain } from '../src/chain';
import { createPrisma, type PrismaClient } from '../src/db';
import { appendEntry } from '../src/entries';
import { attackerOn, tamper, testKeyring } from './support';

const MIGRATIONS = path.join(__dirname, '..', 'migrations');
const kek = testKeyring();

interface Chain {
  db: TestDatabase;
  prisma: PrismaClient;
  /** A superuser session on the chain's database: an attacker with full database access. */
  attacker: pg.Client;
}

const chains: Chain[] = [];

async function chainOf(length: number): Promise<Chain> {
  const db = await createTestDatabase(MIGRATIONS);
  const prisma = createPrisma(db.appUrl);
  const attacker = await attackerOn(db.database);
  const chain = { db, prisma, attacker };
  chains.push(chain);
  for (let index = 0; index < length; index++) await append(prisma, index);
  return chain;
}

function append(prisma: PrismaClient, index: number) {
  const event = newEvent({
    type: 'audit.recorded',
    actor: { service: 'test', userId: null, role: 'admin' },
    data: {
      action: 'test.thing.done',
      subject: { type: 'thing', id: String(index) },
      outcome: 'success',
      sourceIp: '192.0.2.1',
      userAgent: 'chain-test',
    },
  });
  return prisma.$transaction((tx) => appendEntry(tx, event, kek));
}

afterAll(async () => {
  for (const chain of chains) {
    await chain.prisma.$disconnect();
    await chain.attacker.end();
    await chain.db.drop();
  }
});

describe('the audit hash chain', () => {
  test('every entry links to the one before it, from a genesis of 64 zeros, and verifies end to end', async () => {
    const { prisma } = await chainOf(25);
    const first = await prisma.auditEntry.findUnique({ where: { sequence: 1n } });
    expect(first?.prevHash).toBe(GENESIS_HASH);
    const result = await verifyChain(prisma, { pageSize: 7 });
    expect(result).toMatchObject({ intact: true, entriesChecked: 25, verifiedThrough: 25n });
    const last = await prisma.auditEntry.findUnique({ where: { sequence: 25n } });
    expect(result.headHash).toBe(last?.hash);
  });

  test('appends racing each other still form one unbroken chain', async () => {
    const chain = await chainOf(0);
    await Promise.all(Array.from({ length: 20 }, (_, index) => append(chain.prisma, index)));
    expect(await verifyChain(chain.prisma)).toMatchObject({
      intact: true,
      entriesChecked: 20,
      verifiedThrough: 20n,
    });
  });

  test('a row edited with superuser rights is caught, naming its sequence', async () => {
    const chain = await chainOf(10);
    await tamper(chain.attacker, "UPDATE audit_entry SET outcome = 'failure' WHERE sequence = 4");
    const result = await verifyChain(chain.prisma);
    expect(result).toMatchObject({
      intact: false,
      verifiedThrough: 3n,
      firstBroken: { sequence: 4n, reason: 'hash_mismatch' },
    });
  });

  test('an edit whose row is re-hashed to match is caught at the next link', async () => {
    const chain = await chainOf(10);
    const row = await chain.prisma.auditEntry.findUnique({ where: { sequence: 4n } });
    if (!row) throw new Error('no entry 4');
    const forged = entryHash(row.prevHash, { ...row, outcome: 'failure' });
    await tamper(chain.attacker, "UPDATE audit_entry SET outcome = 'failure', hash = $1 WHERE sequence = 4", [
      forged,
    ]);
    expect(await verifyChain(chain.prisma)).toMatchObject({
      intact: false,
      firstBroken: { sequence: 5n, reason: 'prev_hash_mismatch' },
    });
  });

  test('a deleted entry is caught as missing', async () => {
    const chain = await chainOf(10);
    await tamper(chain.attacker, 'DELETE FROM audit_entry WHERE sequence = 6');
    expect(await verifyChain(chain.prisma)).toMatchObject({
      intact: false,
      verifiedThrough: 5n,
      firstBroken: { sequence: 6n, reason: 'missing_entry' },
    });
  });

  test('a whole chain rewritten after an edit verifies on its own, and is caught against the head published before', async () => {
    const chain = await chainOf(8);
    const published = await verifyChain(chain.prisma);
    await tamper(chain.attacker, "UPDATE audit_entry SET outcome = 'denied' WHERE sequence = 2");
    // The attacker recomputes every hash from the edited row on.
    let prevHash = GENESIS_HASH;
    for (const row of await chain.prisma.auditEntry.findMany({ orderBy: { sequence: 'asc' } })) {
      const hash = entryHash(prevHash, row);
      await tamper(chain.attacker, 'UPDATE audit_entry SET prev_hash = $1, hash = $2 WHERE sequence = $3', [
        prevHash,
        hash,
        row.sequence,
      ]);
      prevHash = hash;
    }
    const after = await verifyChain(chain.prisma);
    expect(after.intact).toBe(true);
    expect({ sequence: after.verifiedThrough, hash: after.headHash }).not.toEqual({
      sequence: published.verifiedThrough,
      hash: published.headHash,
    });
  });

  test('verification from a checkpoint checks only the entries after it', async () => {
    const chain = await chainOf(12);
    expect(await verifyChain(chain.prisma, { fromSequence: 9n })).toMatchObject({
      intact: true,
      entriesChecked: 4,
      verifiedThrough: 12n,
    });
  });

  test('the verify command exits 1 on a broken chain and prints the first broken sequence', async () => {
    const chain = await chainOf(5);
    await tamper(chain.attacker, "UPDATE audit_entry SET action = 'test.thing.undone' WHERE sequence = 2");
    const run = await startProcess({
      name: 'audit-verify',
      entry: path.join(__dirname, '..', 'src', 'verify.ts'),
      env: { DATABASE_URL: chain.db.appUrl },
    });
    expect(await run.exited).toBe(1);
    const output = await readFile(run.logFile, 'utf8');
    expect(output).toContain('"firstBroken":{"sequence":"2","reason":"hash_mismatch"}');
  });
});
