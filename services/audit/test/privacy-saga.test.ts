import { randomUUID } from 'node:crypto';
import path from 'node:path';

import { PRIVACY_EVENT_TYPES, exportPartPrefix } from '@tracking/contracts';
import { createKafka, createMetrics, createPool, createProducer, type RunningConsumer } from '@tracking/kit';
import { decryptWithIdentities, generateExportKeyPair, type ObjectStore } from '@tracking/kit/privacy';
import {
  captureLogger,
  createTestDatabase,
  createTestTopics,
  infraEnv,
  type TestDatabase,
} from '@tracking/testing';
import { privacySagaProbe, removeTestExportStore, testExportStore } from '@tracking/testing/privacy';
import type pg from 'pg';

import { verifyChain } from '../src/chain';
import { createPrisma, type PrismaClient } from '../src/db';
import { appendEntry } from '../src/entries';
import { startPrivacyConsumer } from '../src/events';
import { exportSubject } from '../src/privacy';
import { auditEvent, testKeyring } from './support';

/**
 * The audit log as a participant of the privacy sagas (#22), wired as main.ts wires it (a Prisma
 * transaction), against real Kafka, PostgreSQL and the local S3 store: an export request is
 * answered with the person's entries, encrypted so that only the privacy service's identity
 * opens them; an erasure request crypto-shreds them with its answer, the chain still verifies,
 * and a second request answers zeros and records nothing.
 */
const { log } = captureLogger('audit-privacy-test');
const kafka = createKafka({ clientId: 'audit-privacy-test', ...infraEnv().kafka, log });
const kek = testKeyring();
const subject = randomUUID();
const producer = createProducer(kafka);
let prefix = '';
let probe: ReturnType<typeof privacySagaProbe>;
let db: TestDatabase;
let prisma: PrismaClient;
let pool: pg.Pool;
let store: ObjectStore;
let keys: { identity: string; recipient: string };
let participant: RunningConsumer | undefined;

beforeAll(async () => {
  prefix = await createTestTopics();
  db = await createTestDatabase(path.join(__dirname, '..', 'migrations'));
  prisma = createPrisma(db.appUrl);
  pool = createPool(db.appUrl, { max: 2 });
  probe = privacySagaProbe({ service: 'audit', producer, topicPrefix: prefix, db: pool });
  store = testExportStore('audit-privacy-test');
  keys = await generateExportKeyPair();
  for (const index of [1, 2]) {
    const event = auditEvent(index, {
      actor: { userId: subject },
      sourceIp: '198.51.100.7',
      userAgent: 'saga-agent',
    });
    await prisma.$transaction((tx) => appendEntry(tx, event, kek));
  }
  await producer.connect();
  participant = await startPrivacyConsumer({
    kafka,
    prisma,
    kek,
    store,
    recipients: [keys.recipient],
    log,
    metrics: createMetrics(),
    topicPrefix: prefix,
  });
}, 120_000);

afterAll(async () => {
  await participant?.stop();
  await producer.disconnect();
  await removeTestExportStore(store);
  await pool.end();
  await prisma.$disconnect();
  await db.drop();
});

test('an export request is answered with the person’s entries, which only the privacy service’s identity opens', async () => {
  const requestId = randomUUID();
  await probe.request(PRIVACY_EVENT_TYPES.exportRequested, {
    requestId,
    subjectId: subject,
    requestedAt: new Date().toISOString(),
    partPrefix: exportPartPrefix(requestId),
  });
  const answer = await probe.answered(requestId);
  expect(answer).toMatchObject({ kind: 'export', service: 'audit', counts: { audit_entry: 2 } });
  expect(answer.files.map((file) => file.name).sort()).toEqual(['audit.json', 'audit_entry.csv']);
  const sealed = await store.get(answer.files.find((file) => file.name === 'audit.json')?.key ?? 'missing');
  expect(Buffer.from(sealed).toString('utf8')).not.toContain('saga-agent');
  const opened = JSON.parse(
    Buffer.from(await decryptWithIdentities(sealed, [keys.identity])).toString('utf8'),
  ) as {
    audit_entry: { user_agent: string | null }[];
  };
  expect(opened.audit_entry.map((entry) => entry.user_agent)).toEqual(['saga-agent', 'saga-agent']);
});

test('an erasure request crypto-shreds the person with its answer, the chain verifies, and a second one answers zeros', async () => {
  const erase = async () => {
    const requestId = randomUUID();
    await probe.request(PRIVACY_EVENT_TYPES.erasureRequested, {
      requestId,
      subjectId: subject,
      phase: 1,
      erasingSince: new Date().toISOString(),
    });
    return probe.answered(requestId);
  };
  expect(await erase()).toMatchObject({ kind: 'erasure', phase: 1, counts: { subject_key: 1 } });
  expect(await verifyChain(prisma)).toMatchObject({ intact: true, entriesChecked: 3 });
  const { audit_entry: entries } = await exportSubject(prisma, kek, subject);
  expect(entries.map((entry) => [entry.action, entry.user_agent])).toEqual([
    ['test.thing.done', null],
    ['test.thing.done', null],
    ['audit.subject.erased', null],
  ]);
  expect(await erase()).toMatchObject({ counts: { subject_key: 0 } });
  expect(await verifyChain(prisma)).toMatchObject({ intact: true, entriesChecked: 3 });
});
