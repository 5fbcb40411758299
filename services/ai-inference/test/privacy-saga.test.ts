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
let probe: ReturnType<typeof privacySagaProbe>;
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
  probe = privacySagaProbe({ service: 'ai-inference', producer, topicPrefix: prefix, db: pool });
  store = testExportStore('ai-privacy-test');
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
  await removeTestExportStore(store);
  await pool.end();
  await db.drop();
});

test('an export request is answered with the person’s usage, which only the privacy service’s identity opens', async () => {
  const requestId = randomUUID();
  await probe.request(PRIVACY_EVENT_TYPES.exportRequested, {
    requestId,
    subjectId: subject,
    requestedAt: new Date().toISOString(),
    partPrefix: exportPartPrefix(requestId),
  });
  const answer = await probe.answered(requestId);
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
    await probe.request(PRIVACY_EVENT_TYPES.erasureRequested, {
      requestId,
      subjectId: subject,
      phase: 1,
      erasingSince: new Date().toISOString(),
    });
    return probe.answered(requestId);
  };
  expect(await erase()).toMatchObject({ kind: 'erasure', phase: 1, counts: { ai_usage: 1 } });
  expect((await pool.query('SELECT 1 FROM ai_usage WHERE tenant_id = $1', [subject])).rowCount).toBe(0);
  expect(await erase()).toMatchObject({ counts: { ai_usage: 0 } });
});
