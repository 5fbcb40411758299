import path from 'node:path';

import { createKafka, createLogger, ensureTopics } from '@tracking/kit';
import { createTestDatabase, infraEnv, randomName, type TestDatabase } from '@tracking/testing';
import type pg from 'pg';
import { Registry } from 'prom-client';

import { ChainAttestor, CHAIN_HEAD_TOPIC, readLastHead } from '../src/attest';
import { chainMetrics } from '../src/metrics';
import { entryHash, GENESIS_HASH } from '../src/chain';
import { createPrisma, type PrismaClient } from '../src/db';
import { appendEntry } from '../src/entries';
import { attackerOn, auditEvent, tamper, testKeyring } from './support';

const MIGRATIONS = path.join(__dirname, '..', 'migrations');
const kek = testKeyring();
const log = createLogger({ service: 'attest-test', level: 'silent' });
const kafka = createKafka({ clientId: 'attest-test', ...infraEnv().kafka, log });

interface Setup {
  db: TestDatabase;
  prisma: PrismaClient;
  attacker: pg.Client;
  attestor: ChainAttestor;
  metrics: ReturnType<typeof chainMetrics>;
  prefix: string;
}
const setups: Setup[] = [];

/** A chain of `length` entries, its attestor started (nothing published yet), and an attacker. */
async function setUp(length: number): Promise<Setup> {
  const db = await createTestDatabase(MIGRATIONS);
  const prisma = createPrisma(db.appUrl);
  const attacker = await attackerOn(db.database);
  const prefix = `${randomName()}.`;
  await ensureTopics(
    kafka,
    {
      topics: [
        {
          name: CHAIN_HEAD_TOPIC,
          partitions: 1,
          retentionMs: -1,
          cleanupPolicy: 'delete',
          description: 'test',
        },
      ],
    },
    prefix,
  );
  for (let index = 0; index < length; index++) {
    const event = auditEvent(index);
    await prisma.$transaction((tx) => appendEntry(tx, event, kek));
  }
  const metrics = chainMetrics(new Registry(), log);
  // Started with a long interval: a test calls attest() itself after the run start() makes.
  const attestor = new ChainAttestor({ prisma, kafka, log, metrics, topicPrefix: prefix });
  const setup = { db, prisma, attacker, attestor, metrics, prefix };
  setups.push(setup);
  return setup;
}

const gauge = async (metric: { get(): Promise<{ values: { value: number }[] }> }) =>
  (await metric.get()).values[0]?.value;
const publishedHead = (setup: Setup) => readLastHead(kafka, setup.prefix + CHAIN_HEAD_TOPIC);

afterAll(async () => {
  for (const setup of setups) {
    await setup.attestor.stop();
    await setup.prisma.$disconnect();
    await setup.attacker.end();
    await setup.db.drop();
  }
});

describe('attesting the audit chain', () => {
  test('a verified chain has its head published to Kafka, and the metrics say so', async () => {
    const setup = await setUp(5);
    await setup.attestor.start(3_600_000);
    await setup.attestor.attest();
    const last = await setup.prisma.auditEntry.findUnique({ where: { sequence: 5n } });
    expect(await publishedHead(setup)).toMatchObject({ sequence: '5', hash: last?.hash });
    expect(await gauge(setup.metrics.verifiedSequence)).toBe(5);
    expect(await gauge(setup.metrics.broken)).toBe(0);
  });

  test('a chain rewritten after its head was published is caught against that head, and not attested', async () => {
    const setup = await setUp(6);
    await setup.attestor.start(3_600_000);
    await setup.attestor.attest();
    const before = await publishedHead(setup);
    await tamper(setup.attacker, "UPDATE audit_entry SET outcome = 'denied' WHERE sequence = 2");
    let prevHash = GENESIS_HASH;
    for (const row of await setup.prisma.auditEntry.findMany({ orderBy: { sequence: 'asc' } })) {
      const hash = entryHash(prevHash, row);
      await tamper(setup.attacker, 'UPDATE audit_entry SET prev_hash = $1, hash = $2 WHERE sequence = $3', [
        prevHash,
        hash,
        row.sequence,
      ]);
      prevHash = hash;
    }
    const result = await setup.attestor.attest();
    expect(result).toMatchObject({
      intact: false,
      headMismatch: { sequence: 6n, reason: 'published_head_mismatch' },
    });
    expect(await gauge(setup.metrics.broken)).toBe(1);
    expect(await publishedHead(setup)).toEqual(before);
  });

  test('entries cut off the end of the chain are caught against the published head', async () => {
    const setup = await setUp(6);
    await setup.attestor.start(3_600_000);
    await setup.attestor.attest();
    await tamper(setup.attacker, 'DELETE FROM audit_entry WHERE sequence > 4');
    expect(await setup.attestor.attest()).toMatchObject({
      intact: false,
      verifiedThrough: 4n,
      headMismatch: { sequence: 6n, reason: 'published_head_missing' },
    });
  });

  test('a restarted attestor reads the last published head back from Kafka before it judges the chain', async () => {
    const setup = await setUp(4);
    await setup.attestor.start(3_600_000);
    await setup.attestor.attest();
    await setup.attestor.stop();
    await tamper(setup.attacker, 'DELETE FROM audit_entry WHERE sequence = 4');
    const restarted = new ChainAttestor({
      prisma: setup.prisma,
      kafka,
      log,
      metrics: setup.metrics,
      topicPrefix: setup.prefix,
    });
    setups.push({ ...setup, attestor: restarted });
    await restarted.start(3_600_000);
    expect(await restarted.attest()).toMatchObject({
      intact: false,
      headMismatch: { reason: 'published_head_missing' },
    });
  });

  test('a chain broken in the middle is reported with its first broken sequence and never attested', async () => {
    const setup = await setUp(5);
    await tamper(setup.attacker, "UPDATE audit_entry SET action = 'test.thing.undone' WHERE sequence = 3");
    await setup.attestor.start(3_600_000);
    expect(await setup.attestor.attest()).toMatchObject({
      intact: false,
      firstBroken: { sequence: 3n, reason: 'hash_mismatch' },
    });
    expect(await gauge(setup.metrics.verifiedSequence)).toBe(2);
    expect(await publishedHead(setup)).toBeUndefined();
  });
});
