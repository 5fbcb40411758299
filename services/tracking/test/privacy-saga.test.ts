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

import { createPrisma, type PrismaClient } from '../src/db';
import { startPrivacyConsumer } from '../src/events';
import { exportSubject } from '../src/privacy';
import { coachedClient, person, type ClientRows } from './world';

/**
 * Tracking as a participant of the privacy sagas (#22), wired as main.ts wires it, against real
 * Kafka, PostgreSQL and the local S3 store: an export request is answered with tracking's files,
 * encrypted so that only the privacy service's identity opens them; an erasure request deletes
 * the person in the same transaction as its answer, and a second request answers zeros.
 */
const { log } = captureLogger('tracking-privacy-test');
const kafka = createKafka({ clientId: 'tracking-privacy-test', ...infraEnv().kafka, log });
const producer = createProducer(kafka);
let prefix = '';
let probe: ReturnType<typeof privacySagaProbe>;
let db: TestDatabase;
let prisma: PrismaClient;
let pool: pg.Pool;
let store: ObjectStore;
let keys: { identity: string; recipient: string };
let participant: RunningConsumer | undefined;
let client: ClientRows;

beforeAll(async () => {
  prefix = await createTestTopics();
  db = await createTestDatabase(path.join(__dirname, '..', 'migrations'));
  prisma = createPrisma(db.appUrl);
  pool = createPool(db.appUrl, { max: 2 });
  probe = privacySagaProbe({ service: 'tracking', producer, topicPrefix: prefix, db: pool });
  store = testExportStore('tracking-privacy-test');
  keys = await generateExportKeyPair();
  client = await coachedClient(prisma, person('trainer', 'saga-trainer'), 'saga-client');
  await producer.connect();
  participant = await startPrivacyConsumer({
    kafka,
    prisma,
    pool,
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

test('an export request is answered with tracking’s files, which only the privacy service’s identity opens', async () => {
  const requestId = randomUUID();
  await probe.request(PRIVACY_EVENT_TYPES.exportRequested, {
    requestId,
    subjectId: client.client.userId,
    requestedAt: new Date().toISOString(),
    partPrefix: exportPartPrefix(requestId),
  });
  const answer = await probe.answered(requestId);
  expect(answer).toMatchObject({ kind: 'export', service: 'tracking' });
  expect(answer.counts).toMatchObject({
    meal: 1,
    metric: 1,
    goal: 1,
    review: 1,
    comment: 1,
    trainer_link: 1,
  });
  expect(answer.files.map((file) => file.name).sort()).toEqual(
    [
      'comment.csv',
      'daily_summary.csv',
      'goal.csv',
      'meal.csv',
      'metric.csv',
      'review.csv',
      'trainer_link.csv',
      'tracking.json',
    ].sort(),
  );
  const json = answer.files.find((file) => file.name === 'tracking.json');
  const sealed = await store.get(json?.key ?? 'missing');
  expect(Buffer.from(sealed).toString('utf8')).not.toContain('private lunch');
  const opened = JSON.parse(
    Buffer.from(await decryptWithIdentities(sealed, [keys.identity])).toString('utf8'),
  ) as {
    meal: { description: string }[];
  };
  expect(opened.meal.map((meal) => meal.description)).toEqual(["saga-client's private lunch"]);
  const csv = answer.files.find((file) => file.name === 'meal.csv');
  const table = Buffer.from(
    await decryptWithIdentities(await store.get(csv?.key ?? 'missing'), [keys.identity]),
  );
  expect(table.toString('utf8').split('\r\n')[0]).toMatch(/^id,client_id,eaten_at,meal_type,description,/);
});

test('an erasure request deletes the person with its answer, and a second one answers zeros', async () => {
  const erase = async () => {
    const requestId = randomUUID();
    await probe.request(PRIVACY_EVENT_TYPES.erasureRequested, {
      requestId,
      subjectId: client.client.userId,
      phase: 1,
      erasingSince: new Date().toISOString(),
    });
    return probe.answered(requestId);
  };
  const first = await erase();
  expect(first).toMatchObject({ kind: 'erasure', phase: 1, counts: { meal: 1, metric: 1, trainer_link: 1 } });
  // What the client could still read of themselves: nothing.
  const left = await exportSubject(prisma, client.client.userId);
  expect(Object.values(left).every((rows) => rows.length === 0)).toBe(true);
  const second = await erase();
  expect(Object.values(second.counts).every((n) => n === 0)).toBe(true);
});
