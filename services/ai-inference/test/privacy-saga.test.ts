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

import { createBudget } from '../src/budget';
import { startPrivacyConsumer } from '../src/events';

/**
 * The AI service as a participant of the privacy sagas (#22), wired as main.ts wires it, against
 * real Kafka, PostgreSQL and the local S3 store: an export request is answered with the person's
 * usage, encrypted so that only the privacy service's identity opens it; an erasure request
 * deletes it with its answer, and a second request answers zeros.
 */
const { log } = captureLogger('ai-privacy-test');
const kafka = createKafka({ clientId: 'ai-privacy-test', ...infraEnv().kafka, log });
const producer = createProducer(kafka);
let prefix = '';
let db: TestDatabase;
let pool: pg.Pool;
let store: ObjectStore;
let keys: { identity: string; recipient: string };
let participant: RunningConsumer | undefined;
const subject = randomUUID();

beforeAll(async () => {
  prefix = await createTestTopics();
  db = await createTestDatabase(path.join(__dirname, '..', 'migrations'));
  pool = createPool(db.appUrl, { max: 2 });
  const { S3_ENDPOINT, S3_BUCKET, S3_CREDENTIALS_DIR, S3_REGION } = process.env;
  if (!S3_ENDPOINT || !S3_BUCKET || !S3_CREDENTIALS_DIR) throw new Error('start the infrastructure (S3)');
  store = createObjectStore({
    EXPORT_S3_ENDPOINT: S3_ENDPOINT,
    EXPORT_S3_REGION: S3_REGION ?? 'us-east-1',
    EXPORT_S3_BUCKET: S3_BUCKET,
    EXPORT_S3_PREFIX: `ai-privacy-test/${randomName()}/`,
    EXPORT_S3_FORCE_PATH_STYLE: true,
    EXPORT_S3_CREDENTIALS_DIR: S3_CREDENTIALS_DIR,
    EXPORT_S3_SSE: 'AES256',
  });
  keys = await generateExportKeyPair();
  const budget = createBudget(pool, { requestsPerDay: 10, tokensPerDay: 10_000 });
  await budget.reserve(subject, { estimatesPerDay: 5 });
  await producer.connect();
  participant = await startPrivacyConsumer({
    kafka,
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

/** The service's answers to one request, from its outbox (the relay is not running here). */
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
  waitFor(async () => (await answers(requestId))[0], { what: 'the answer', timeoutMs: 60_000 });

test('an export request is answered with the person’s usage, which only the privacy service’s identity opens', async () => {
  const requestId = randomUUID();
  await request(PRIVACY_EVENT_TYPES.exportRequested, {
    requestId,
    subjectId: subject,
    requestedAt: new Date().toISOString(),
    partPrefix: exportPartPrefix(requestId),
  });
  const answer = await answered(requestId);
  expect(answer).toMatchObject({ kind: 'export', service: 'ai-inference', counts: { ai_usage: 1 } });
  expect(answer.files.map((file) => file.name).sort()).toEqual(['ai-inference.json', 'ai_usage.csv']);
  const sealed = await store.get(answer.files.find((file) => file.name === 'ai_usage.csv')?.key ?? 'missing');
  const csv = Buffer.from(await decryptWithIdentities(sealed, [keys.identity])).toString('utf8');
  expect(csv.split('\r\n')[0]).toBe('tenant_id,day,requests,tokens,estimates');
  expect(csv).toContain(`${subject},`);
});

test('an erasure request deletes the usage with its answer, and a second one answers zeros', async () => {
  const erase = async () => {
    const requestId = randomUUID();
    await request(PRIVACY_EVENT_TYPES.erasureRequested, {
      requestId,
      subjectId: subject,
      phase: 1,
      erasingSince: new Date().toISOString(),
    });
    return answered(requestId);
  };
  expect(await erase()).toMatchObject({ kind: 'erasure', phase: 1, counts: { ai_usage: 1 } });
  expect((await pool.query('SELECT 1 FROM ai_usage WHERE tenant_id = $1', [subject])).rowCount).toBe(0);
  expect(await erase()).toMatchObject({ counts: { ai_usage: 0 } });
});
