import { randomUUID } from 'node:crypto';
import path from 'node:path';

import {
  PRIVACY_EVENT_TYPES,
  PRIVACY_TOPICS,
  exportPartPrefix,
  stepCompletedSchema,
  type StepCompleted,
} from '@tracking/contracts';
import {
  createKafka,
  createMetrics,
  createPool,
  createProducer,
  envelopeMessage,
  newEvent,
  type RunningConsumer,
} from '@tracking/kit';
import {
  createObjectStore,
  decryptWithIdentities,
  generateExportKeyPair,
  type ObjectStore,
} from '@tracking/kit/privacy';
import {
  captureLogger,
  createTestDatabase,
  createTestTopics,
  infraEnv,
  randomName,
  waitFor,
  type TestDatabase,
} from '@tracking/testing';
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
  const { S3_ENDPOINT, S3_BUCKET, S3_CREDENTIALS_DIR, S3_REGION } = process.env;
  if (!S3_ENDPOINT || !S3_BUCKET || !S3_CREDENTIALS_DIR) throw new Error('start the infrastructure (S3)');
  store = createObjectStore({
    EXPORT_S3_ENDPOINT: S3_ENDPOINT,
    EXPORT_S3_REGION: S3_REGION ?? 'us-east-1',
    EXPORT_S3_BUCKET: S3_BUCKET,
    EXPORT_S3_PREFIX: `tracking-privacy-test/${randomName()}/`,
    EXPORT_S3_FORCE_PATH_STYLE: true,
    EXPORT_S3_CREDENTIALS_DIR: S3_CREDENTIALS_DIR,
    EXPORT_S3_SSE: 'AES256',
  });
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
  const left = await store.list('');
  await store.remove(...left);
  store.close();
  await pool.end();
  await prisma.$disconnect();
  await db.drop();
});

async function request(
  type: string,
  data: { requestId: string; subjectId: string; [field: string]: unknown },
) {
  const event = newEvent({ type, actor: { service: 'privacy', userId: null, role: null }, data });
  await producer.send({
    topic: prefix + PRIVACY_TOPICS.request,
    acks: -1,
    messages: [envelopeMessage(event, data.subjectId)],
  });
}

/** Tracking's answers to one request, from its outbox (the relay is not running here). */
async function answers(requestId: string): Promise<StepCompleted[]> {
  const { rows } = await pool.query<{ payload: { type: string; data: unknown } }>(
    `SELECT payload FROM outbox WHERE topic = $1 AND payload->'data'->>'requestId' = $2 ORDER BY id`,
    [PRIVACY_TOPICS.step, requestId],
  );
  return rows.map(({ payload }) => {
    expect(payload.type).toBe(PRIVACY_EVENT_TYPES.stepCompleted);
    return stepCompletedSchema.parse(payload.data);
  });
}

const answered = (requestId: string) =>
  waitFor(async () => (await answers(requestId))[0], { what: 'tracking’s answer', timeoutMs: 60_000 });

test('an export request is answered with tracking’s files, which only the privacy service’s identity opens', async () => {
  const requestId = randomUUID();
  await request(PRIVACY_EVENT_TYPES.exportRequested, {
    requestId,
    subjectId: client.client.userId,
    requestedAt: new Date().toISOString(),
    partPrefix: exportPartPrefix(requestId),
  });
  const answer = await answered(requestId);
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
    await request(PRIVACY_EVENT_TYPES.erasureRequested, {
      requestId,
      subjectId: client.client.userId,
      phase: 1,
      erasingSince: new Date().toISOString(),
    });
    return answered(requestId);
  };
  const first = await erase();
  expect(first).toMatchObject({ kind: 'erasure', phase: 1, counts: { meal: 1, metric: 1, trainer_link: 1 } });
  // What the client could still read of themselves: nothing.
  const left = await exportSubject(prisma, client.client.userId);
  expect(Object.values(left).every((rows) => rows.length === 0)).toBe(true);
  const second = await erase();
  expect(Object.values(second.counts).every((n) => n === 0)).toBe(true);
});
