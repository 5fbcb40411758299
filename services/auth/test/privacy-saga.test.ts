import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { exportPartPrefix, PRIVACY_EVENT_TYPES, PRIVACY_TOPICS } from '@tracking/contracts';
import {
  createKafka,
  createLogger,
  createProducer,
  envelopeMessage,
  newEvent,
  type Producer,
} from '@tracking/kit';
import { generateExportKeyPair } from '@tracking/kit/privacy';
import {
  createTestTopics,
  freePort,
  grpcServiceEnv,
  infraEnv,
  kafkaServiceEnv,
  startProcess,
  waitFor,
  type ManagedProcess,
} from '@tracking/testing';
import type { Consumer } from 'kafkajs';

import { validateSession } from '../src/sessions';
import { newUser, signIn, useAuthFixture } from './support';

// The running auth service takes part in the privacy sagas (main.ts, events.ts): it answers an
// export request and erasure phase 2 on privacy.step.v1, and acts on phase 1 without answering.
describe('the auth service in the privacy sagas', () => {
  const setup = useAuthFixture();
  let auth: ManagedProcess | undefined;
  let producer: Producer | undefined;
  let consumer: Consumer | undefined;
  let dir = '';
  let topicPrefix = '';
  const answers: { type: string; data: Record<string, unknown> }[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'auth-privacy-'));
    topicPrefix = await createTestTopics();
    const { publicKey } = generateKeyPairSync('ed25519');
    const publicKeyFile = path.join(dir, 'principal.pem');
    await writeFile(publicKeyFile, publicKey.export({ type: 'spki', format: 'pem' }));
    const [grpcPort, opsPort] = await Promise.all([freePort(), freePort()]);
    const { brokers } = infraEnv();
    auth = await startProcess({
      name: 'auth-privacy',
      entry: path.join(__dirname, '..', 'src', 'main.ts'),
      env: {
        KAFKA_BROKERS: brokers.join(','),
        KAFKA_TOPIC_PREFIX: topicPrefix,
        ...kafkaServiceEnv('auth'),
        ...grpcServiceEnv('auth'),
        OTEL_SDK_DISABLED: 'true',
        LOG_FILE: path.join(dir, 'auth.log'),
        GRPC_PORT: String(grpcPort),
        OPS_PORT: String(opsPort),
        DATABASE_URL: setup().db.appUrl,
        ENCRYPTION_KEYS: `test-1:${randomBytes(32).toString('base64')}`,
        ENCRYPTION_ACTIVE_KEY_ID: 'test-1',
        PRINCIPAL_PUBLIC_KEY_FILES: publicKeyFile,
        EXPORT_S3_ENDPOINT: process.env.S3_ENDPOINT ?? '',
        EXPORT_S3_REGION: process.env.S3_REGION ?? 'us-east-1',
        EXPORT_S3_BUCKET: process.env.S3_BUCKET ?? '',
        EXPORT_S3_PREFIX: `${topicPrefix.replace(/\.$/, '')}/`,
        EXPORT_S3_CREDENTIALS_DIR: process.env.S3_CREDENTIALS_DIR ?? '',
        PRIVACY_EXPORT_RECIPIENT: (await generateExportKeyPair()).recipient,
      },
      readyUrl: `http://127.0.0.1:${String(opsPort)}/readyz`,
    });
    const kafka = createKafka({
      clientId: 'auth-privacy-test',
      ...infraEnv().kafka,
      log: createLogger({ service: 'test', level: 'silent' }),
    });
    const connecting = createProducer(kafka);
    await connecting.connect();
    producer = connecting;
    const reading = kafka.consumer({ groupId: `${topicPrefix}auth-privacy-test` });
    await reading.connect();
    await reading.subscribe({ topic: topicPrefix + PRIVACY_TOPICS.step, fromBeginning: true });
    await reading.run({
      eachMessage: ({ message }) => {
        const event = JSON.parse(message.value?.toString() ?? '{}') as {
          type: string;
          data: Record<string, unknown>;
        };
        answers.push({ type: event.type, data: event.data });
        return Promise.resolve();
      },
    });
    consumer = reading;
  }, 120_000);

  afterAll(async () => {
    await auth?.stop();
    await consumer?.disconnect();
    await producer?.disconnect();
    await rm(dir, { recursive: true, force: true });
  }, 60_000);

  async function send(
    type: string,
    data: { requestId: string; subjectId: string } & Record<string, unknown>,
  ) {
    if (!producer) throw new Error('no producer');
    const event = newEvent({ type, actor: { service: 'privacy', userId: null, role: null }, data });
    await producer.send({
      topic: topicPrefix + PRIVACY_TOPICS.request,
      acks: -1,
      messages: [envelopeMessage(event, data.subjectId)],
    });
  }

  const answerTo = (requestId: string) =>
    waitFor(() => answers.find((answer) => answer.data.requestId === requestId), { timeoutMs: 30_000 });

  test('an export, then phase 1 (sessions end, no answer), then phase 2 (the account goes, answered)', async () => {
    const f = setup();
    const user = await newUser(f);
    const { token } = await signIn(f, user);

    const exportId = randomUUID();
    await send(PRIVACY_EVENT_TYPES.exportRequested, {
      requestId: exportId,
      subjectId: user.id,
      requestedAt: new Date().toISOString(),
      partPrefix: exportPartPrefix(exportId),
    });
    const exported = await answerTo(exportId);
    expect(exported.type).toBe(PRIVACY_EVENT_TYPES.stepCompleted);
    expect((exported.data.files as { name: string }[]).map((file) => file.name)).toEqual([
      'auth.json',
      'sessions.csv',
      'sign_in_contexts.csv',
    ]);

    const erasureId = randomUUID();
    const erasingSince = new Date().toISOString();
    await send(PRIVACY_EVENT_TYPES.erasureRequested, {
      requestId: erasureId,
      subjectId: user.id,
      phase: 1,
      erasingSince,
    });
    await waitFor(
      async () => {
        const { rows } = await f.owner.query<{ one: number }>(
          'SELECT 1 AS one FROM users WHERE id = $1 AND erasing_since IS NOT NULL',
          [user.id],
        );
        return rows[0];
      },
      { timeoutMs: 30_000 },
    );
    const { rows: live } = await f.owner.query(
      'SELECT 1 FROM sessions WHERE user_id = $1 AND revoked_at IS NULL',
      [user.id],
    );
    expect(live).toEqual([]);
    await expect(validateSession(f.deps, token)).rejects.toMatchObject({ code: 'unauthenticated' });

    await send(PRIVACY_EVENT_TYPES.erasureRequested, {
      requestId: erasureId,
      subjectId: user.id,
      phase: 2,
      erasingSince,
    });
    const erased = await answerTo(erasureId);
    expect(erased).toEqual({
      type: PRIVACY_EVENT_TYPES.stepCompleted,
      data: expect.objectContaining({ kind: 'erasure', service: 'auth', phase: 2 }) as unknown,
    });
    // Phase 1 was not answered by auth: the only answer to this request is phase 2's.
    expect(answers.filter((answer) => answer.data.requestId === erasureId)).toHaveLength(1);
    const { rows } = await f.owner.query('SELECT 1 FROM users WHERE id = $1', [user.id]);
    expect(rows).toEqual([]);
  }, 90_000);
});
