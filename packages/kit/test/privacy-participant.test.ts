import { createHash, randomUUID } from 'node:crypto';

import {
  PRIVACY_EVENT_TYPES,
  PRIVACY_TOPICS,
  exportPartPrefix,
  stepCompletedSchema,
  stepFailedSchema,
  type PrivacyParticipant,
} from '@tracking/contracts';
import {
  captureLogger,
  createTestDatabase,
  createTestTopics,
  infraEnv,
  randomName,
  waitFor,
  type TestDatabase,
} from '@tracking/testing';
import type { Consumer } from 'kafkajs';
import type pg from 'pg';

import {
  DomainError,
  createKafka,
  createMetrics,
  createPool,
  createProducer,
  envelopeMessage,
  headersToStrings,
  newEvent,
  pgTransactionRunner,
  type RunningConsumer,
} from '../src';
import {
  ObjectStoreError,
  PrivacyStepError,
  createObjectStore,
  decryptWithIdentities,
  generateExportKeyPair,
  startPrivacyParticipant,
  toCsv,
  type ObjectStore,
  type PrivacyHandlers,
} from '../src/privacy';

/** The local S3 store (scripts/s3.sh), under a prefix of this run's own. */
function s3Settings() {
  const { S3_ENDPOINT, S3_BUCKET, S3_CREDENTIALS_DIR, S3_REGION } = process.env;
  if (!S3_ENDPOINT || !S3_BUCKET || !S3_CREDENTIALS_DIR)
    throw new Error('S3_ENDPOINT, S3_BUCKET and S3_CREDENTIALS_DIR are not set: start the infrastructure');
  return {
    EXPORT_S3_ENDPOINT: S3_ENDPOINT,
    EXPORT_S3_REGION: S3_REGION ?? 'us-east-1',
    EXPORT_S3_BUCKET: S3_BUCKET,
    EXPORT_S3_PREFIX: `kit-privacy-test/${randomName()}/`,
    EXPORT_S3_FORCE_PATH_STYLE: true,
    EXPORT_S3_CREDENTIALS_DIR: S3_CREDENTIALS_DIR,
    EXPORT_S3_SSE: 'AES256' as const,
  };
}

interface OutboxAnswer {
  type: string;
  data: unknown;
  service: string;
  requestId: string;
}

describe('a privacy participant (kit runtime) against real Kafka, PostgreSQL and S3', () => {
  const { log } = captureLogger('privacy-participant-test');
  const kafka = createKafka({ clientId: 'privacy-participant-test', ...infraEnv().kafka, log });
  const metrics = createMetrics();
  const producer = createProducer(kafka);
  let prefix = '';
  let db: TestDatabase | undefined;
  let pool: pg.Pool | undefined;
  let store: ObjectStore | undefined;
  let keys: { identity: string; recipient: string } | undefined;
  const participants: RunningConsumer[] = [];
  let dlqReader: Consumer | undefined;
  const deadLetters: { value: string; headers: Record<string, string> }[] = [];
  /** Subject id → what the fake handlers should do for it. */
  const behaviour = new Map<
    string,
    'refuse' | 'bug' | 'outage-once' | 'store-down-twice' | 'provider-down-thrice' | 'bad-second-file'
  >();
  const calls = new Map<string, number>();

  function handlers(service: PrivacyParticipant): PrivacyHandlers<pg.PoolClient> {
    const count = (subjectId: string) => {
      const n = (calls.get(`${service}:${subjectId}`) ?? 0) + 1;
      calls.set(`${service}:${subjectId}`, n);
      return n;
    };
    return {
      async exportSubject(subjectId, { tx }) {
        const n = count(subjectId);
        if (behaviour.get(subjectId) === 'store-down-twice' && n <= 2)
          throw new ObjectStoreError('S3 put failed: connect ECONNREFUSED', true);
        const { rows } = await tx.query<{ note: string }>('SELECT note FROM person_note WHERE person = $1', [
          subjectId,
        ]);
        return {
          files: [
            { name: `${service}.json`, content: JSON.stringify({ notes: rows.map((row) => row.note) }) },
            {
              name: behaviour.get(subjectId) === 'bad-second-file' ? '../notes.csv' : 'notes.csv',
              content: toCsv(['note'], rows),
            },
          ],
          counts: { person_note: rows.length },
        };
      },
      async eraseSubject(subjectId, { tx, request }) {
        const n = count(subjectId);
        const mode = behaviour.get(subjectId);
        // Damage first, then fail: the runtime must roll the damage back with the failure.
        const { rowCount } = await tx.query('DELETE FROM person_note WHERE person = $1', [subjectId]);
        if (mode === 'refuse')
          throw new PrivacyStepError('the payment provider refused to delete the customer');
        if (mode === 'bug')
          throw new Error(`handler bug while erasing ${subjectId} in phase ${request.phase}`);
        if (mode === 'outage-once' && n === 1)
          throw Object.assign(new Error('connection reset'), { code: 'ECONNRESET' });
        // More failures than maxAttempts: only an outage may take that long without failing the step.
        if (mode === 'provider-down-thrice' && n <= 3)
          throw new DomainError('unavailable', 'the payment provider is unavailable');
        return { counts: { person_note: rowCount ?? 0 } };
      },
      // Auth stops the person signing in from phase 1 on (the other services see phase 2 and do nothing).
      ...(service === 'auth'
        ? {
            async onOtherPhase(
              subjectId: string,
              { tx, request }: { tx: pg.PoolClient; request: { phase: number } },
            ) {
              await tx.query('INSERT INTO sign_in_block (person, phase) VALUES ($1, $2)', [
                subjectId,
                request.phase,
              ]);
            },
          }
        : {}),
    };
  }

  // Set by beforeAll; a test that runs after a failed beforeAll fails here, plainly.
  const pool_ = () => {
    if (!pool) throw new Error('beforeAll did not create the pool');
    return pool;
  };
  const store_ = () => {
    if (!store) throw new Error('beforeAll did not create the store');
    return store;
  };
  const keys_ = () => {
    if (!keys) throw new Error('beforeAll did not create the keys');
    return keys;
  };

  async function answers(requestId: string): Promise<OutboxAnswer[]> {
    const { rows } = await pool_().query<{
      payload: { type: string; data: { service: string; requestId: string } };
    }>(`SELECT payload FROM outbox WHERE topic = $1 AND payload->'data'->>'requestId' = $2 ORDER BY id`, [
      PRIVACY_TOPICS.step,
      requestId,
    ]);
    return rows.map(({ payload }) => ({
      type: payload.type,
      data: payload.data,
      service: payload.data.service,
      requestId: payload.data.requestId,
    }));
  }

  async function send(type: string, data: unknown, id?: string) {
    const event = {
      ...newEvent({ type, actor: { service: 'privacy', userId: null, role: null }, data }),
      ...(id ? { id } : {}),
    };
    await producer.send({
      topic: prefix + PRIVACY_TOPICS.request,
      acks: -1,
      messages: [envelopeMessage(event, (data as { subjectId?: string }).subjectId)],
    });
    return event;
  }

  async function seedPerson(...notes: string[]): Promise<string> {
    const person = randomUUID();
    for (const note of notes)
      await pool_().query('INSERT INTO person_note (person, note) VALUES ($1, $2)', [person, note]);
    return person;
  }

  const notesOf = async (person: string) =>
    (await pool_().query('SELECT note FROM person_note WHERE person = $1', [person])).rowCount;

  beforeAll(async () => {
    prefix = await createTestTopics();
    db = await createTestDatabase();
    const owner = createPool(db.migratorUrl, { max: 1 });
    await owner.query('CREATE TABLE person_note (person uuid NOT NULL, note text NOT NULL)');
    await owner.query(`GRANT SELECT, INSERT, DELETE ON person_note TO ${db.database}_app`);
    await owner.query('CREATE TABLE sign_in_block (person uuid NOT NULL, phase int NOT NULL)');
    await owner.query(`GRANT SELECT, INSERT ON sign_in_block TO ${db.database}_app`);
    await owner.end();
    pool = createPool(db.appUrl);
    store = createObjectStore(s3Settings());
    keys = await generateExportKeyPair();
    await producer.connect();

    dlqReader = kafka.consumer({ groupId: `${prefix}dlq-reader` });
    await dlqReader.connect();
    await dlqReader.subscribe({ topic: `${prefix}privacy.dlq.v1`, fromBeginning: true });
    await dlqReader.run({
      eachMessage: ({ message }) => {
        deadLetters.push({
          value: message.value?.toString() ?? '',
          headers: headersToStrings(message.headers),
        });
        return Promise.resolve();
      },
    });

    // Two services on one database: their processed-event records and answers stay apart by name.
    for (const service of ['tracking', 'auth'] as const) {
      participants.push(
        await startPrivacyParticipant({
          service,
          kafka,
          topicPrefix: prefix,
          log,
          metrics,
          transaction: pgTransactionRunner(pool),
          store,
          recipients: [keys.recipient],
          handlers: handlers(service),
          maxAttempts: 2,
          retryBackoffMs: 20,
        }),
      );
    }
  }, 120_000);

  afterAll(async () => {
    for (const participant of participants) await participant.stop();
    await dlqReader?.disconnect();
    await producer.disconnect();
    await pool?.end();
    await db?.drop();
    if (store) {
      const left = await store.list('');
      await store.remove(...left);
      store.close();
    }
  });

  it('writes each export file encrypted to the recipient under the request prefix and answers with its size and SHA-256 through the outbox', async () => {
    const canary = `canary-${randomUUID()}`;
    const person = await seedPerson(canary, 'two, with "quotes"', '=HYPERLINK("x")');
    const requestId = randomUUID();
    const partPrefix = exportPartPrefix(requestId);
    await send(PRIVACY_EVENT_TYPES.exportRequested, {
      requestId,
      subjectId: person,
      requestedAt: new Date().toISOString(),
      partPrefix,
    });

    const answered = await waitFor(
      async () => ((await answers(requestId)).length === 2 ? answers(requestId) : undefined),
      {
        what: 'both export answers',
        timeoutMs: 60_000,
      },
    );
    const tracking = stepCompletedSchema.parse(
      answered.find((answer) => answer.service === 'tracking')?.data,
    );
    expect(answered.every((answer) => answer.type === PRIVACY_EVENT_TYPES.stepCompleted)).toBe(true);
    expect(tracking).toMatchObject({
      requestId,
      kind: 'export',
      service: 'tracking',
      counts: { person_note: 3 },
    });
    expect(tracking.files.map((file) => file.key).sort()).toEqual([
      `${partPrefix}tracking/notes.csv.age`,
      `${partPrefix}tracking/tracking.json.age`,
    ]);

    for (const file of tracking.files) {
      const ciphertext = await store_().get(file.key);
      expect(Buffer.from(ciphertext).toString('latin1')).not.toContain(canary);
      const plaintext = await decryptWithIdentities(ciphertext, [keys_().identity]);
      expect(plaintext.byteLength).toBe(file.bytes);
      expect(createHash('sha256').update(plaintext).digest('hex')).toBe(file.sha256);
      if (file.name === 'notes.csv')
        expect(Buffer.from(plaintext).toString('utf8')).toBe(
          `note\r\n${canary}\r\n"two, with ""quotes"""\r\n"'=HYPERLINK(""x"")"\r\n`,
        );
    }
    // A participant holds only the recipient: no other identity opens a part.
    const stranger = await generateExportKeyPair();
    const someFile = tracking.files[0];
    if (!someFile) throw new Error('no file written');
    await expect(
      decryptWithIdentities(await store_().get(someFile.key), [stranger.identity]),
    ).rejects.toThrow();
    // Export takes nothing away.
    expect(await notesOf(person)).toBe(3);
  }, 90_000);

  it('an object store outage delays the export and loses nothing', async () => {
    const person = await seedPerson('kept');
    behaviour.set(person, 'store-down-twice');
    const requestId = randomUUID();
    await send(PRIVACY_EVENT_TYPES.exportRequested, {
      requestId,
      subjectId: person,
      requestedAt: new Date().toISOString(),
      partPrefix: exportPartPrefix(requestId),
    });
    const answered = await waitFor(
      async () => ((await answers(requestId)).length === 2 ? answers(requestId) : undefined),
      {
        what: 'both export answers',
        timeoutMs: 60_000,
      },
    );
    expect(answered.map((answer) => answer.type)).toEqual([
      PRIVACY_EVENT_TYPES.stepCompleted,
      PRIVACY_EVENT_TYPES.stepCompleted,
    ]);
    expect(calls.get(`tracking:${person}`)).toBe(3);
  }, 90_000);

  it('erases in phase 1 everywhere but auth and in phase 2 only in auth; a redelivery changes nothing, a repeated request is answered again', async () => {
    const person = await seedPerson('meal one', 'meal two');
    const requestId = randomUUID();
    const erasure = (phase: 1 | 2) => ({
      requestId,
      subjectId: person,
      phase,
      erasingSince: new Date().toISOString(),
    });

    const first = await send(PRIVACY_EVENT_TYPES.erasureRequested, erasure(1));
    const phase1 = await waitFor(
      async () => ((await answers(requestId)).length >= 1 ? answers(requestId) : undefined),
      {
        what: 'the phase 1 answer',
        timeoutMs: 60_000,
      },
    );
    expect(phase1).toHaveLength(1);
    expect(stepCompletedSchema.parse(phase1[0]?.data)).toEqual({
      requestId,
      kind: 'erasure',
      service: 'tracking',
      phase: 1,
      files: [],
      counts: { person_note: 2 },
    });
    expect(await notesOf(person)).toBe(0);
    // Auth saw phase 1 without answering it, in a transaction that committed.
    expect((await pool_().query('SELECT phase FROM sign_in_block WHERE person = $1', [person])).rows).toEqual(
      [{ phase: 1 }],
    );

    // Kafka delivers the same event again: recorded as processed, not answered twice.
    await send(PRIVACY_EVENT_TYPES.erasureRequested, erasure(1), first.id);
    // Phase 2 goes to auth alone.
    await send(PRIVACY_EVENT_TYPES.erasureRequested, erasure(2));
    const phase2 = await waitFor(
      async () => ((await answers(requestId)).length >= 2 ? answers(requestId) : undefined),
      {
        what: 'the phase 2 answer',
        timeoutMs: 60_000,
      },
    );
    expect(phase2[1]).toMatchObject({ service: 'auth', data: { phase: 2, counts: { person_note: 0 } } });

    // The coordinator asks again after a crash (a new event): answered again, nothing left to erase.
    await send(PRIVACY_EVENT_TYPES.erasureRequested, erasure(1));
    const again = await waitFor(
      async () => ((await answers(requestId)).length >= 3 ? answers(requestId) : undefined),
      {
        what: 'the repeated answer',
        timeoutMs: 60_000,
      },
    );
    expect(again[2]).toMatchObject({ service: 'tracking', data: { phase: 1, counts: { person_note: 0 } } });
    // Settled: no further answers trickle in (the duplicate and the other phases were skipped).
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(
      (await answers(requestId)).map(
        (answer) => `${answer.service}:${(answer.data as { phase: number }).phase}`,
      ),
    ).toEqual(['tracking:1', 'auth:2', 'tracking:1']);
  }, 120_000);

  it('an export that cannot finish is answered as failed and leaves no part behind', async () => {
    const person = await seedPerson('z');
    behaviour.set(person, 'bad-second-file');
    const requestId = randomUUID();
    await send(PRIVACY_EVENT_TYPES.exportRequested, {
      requestId,
      subjectId: person,
      requestedAt: new Date().toISOString(),
      partPrefix: exportPartPrefix(requestId),
    });
    const answered = await waitFor(
      async () => ((await answers(requestId)).length === 2 ? answers(requestId) : undefined),
      { what: 'both export answers', timeoutMs: 60_000 },
    );
    expect(answered.map((answer) => answer.type)).toEqual([
      PRIVACY_EVENT_TYPES.stepFailed,
      PRIVACY_EVENT_TYPES.stepFailed,
    ]);
    expect(stepFailedSchema.parse(answered[0]?.data).reason).toMatch(/named an export file invalidly/);
    // The first file was written before the second was refused; it is gone again.
    expect(await store_().list(exportPartPrefix(requestId))).toEqual([]);
  }, 90_000);

  it('a transient database error is retried and the erasure completes once', async () => {
    const person = await seedPerson('x');
    behaviour.set(person, 'outage-once');
    const requestId = randomUUID();
    await send(PRIVACY_EVENT_TYPES.erasureRequested, {
      requestId,
      subjectId: person,
      phase: 1,
      erasingSince: new Date().toISOString(),
    });
    const answered = await waitFor(
      async () => ((await answers(requestId)).length >= 1 ? answers(requestId) : undefined),
      {
        what: 'the answer',
        timeoutMs: 60_000,
      },
    );
    expect(answered[0]).toMatchObject({
      type: PRIVACY_EVENT_TYPES.stepCompleted,
      data: { counts: { person_note: 1 } },
    });
    expect(calls.get(`tracking:${person}`)).toBe(2);
  }, 90_000);

  it('a dependency the service reports unavailable (Stripe down) is waited out, however many tries it takes', async () => {
    const person = await seedPerson('y');
    behaviour.set(person, 'provider-down-thrice');
    const requestId = randomUUID();
    await send(PRIVACY_EVENT_TYPES.erasureRequested, {
      requestId,
      subjectId: person,
      phase: 1,
      erasingSince: new Date().toISOString(),
    });
    const answered = await waitFor(
      async () => ((await answers(requestId)).length >= 1 ? answers(requestId) : undefined),
      { what: 'the answer', timeoutMs: 60_000 },
    );
    expect(answered.map((answer) => answer.type)).toEqual([PRIVACY_EVENT_TYPES.stepCompleted]);
    expect(calls.get(`tracking:${person}`)).toBe(4);
    expect(await notesOf(person)).toBe(0);
  }, 90_000);

  it('a step that cannot finish is answered as failed with a reason free of personal data, and its damage is rolled back', async () => {
    const refused = await seedPerson('keep me');
    const buggy = await seedPerson('keep me too');
    behaviour.set(refused, 'refuse');
    behaviour.set(buggy, 'bug');
    const refusedId = randomUUID();
    const buggyId = randomUUID();
    for (const [requestId, subjectId] of [
      [refusedId, refused],
      [buggyId, buggy],
    ] as const)
      await send(PRIVACY_EVENT_TYPES.erasureRequested, {
        requestId,
        subjectId,
        phase: 1,
        erasingSince: new Date().toISOString(),
      });

    const [refusal] = await waitFor(
      async () => ((await answers(refusedId)).length >= 1 ? answers(refusedId) : undefined),
      {
        what: 'the refusal',
        timeoutMs: 60_000,
      },
    );
    expect(refusal?.type).toBe(PRIVACY_EVENT_TYPES.stepFailed);
    expect(stepFailedSchema.parse(refusal?.data)).toEqual({
      requestId: refusedId,
      kind: 'erasure',
      service: 'tracking',
      phase: 1,
      reason: 'the payment provider refused to delete the customer',
    });
    expect(calls.get(`tracking:${refused}`)).toBe(1); // a PrivacyStepError is final at once

    const [bug] = await waitFor(
      async () => ((await answers(buggyId)).length >= 1 ? answers(buggyId) : undefined),
      {
        what: 'the failure',
        timeoutMs: 60_000,
      },
    );
    const failed = stepFailedSchema.parse(bug?.data);
    expect(failed.reason).toBe('step failed (Error)');
    expect(failed.reason).not.toContain(buggy);
    expect(calls.get(`tracking:${buggy}`)).toBe(2); // maxAttempts
    // Both handlers deleted before they failed; the savepoint took it back.
    expect(await notesOf(refused)).toBe(1);
    expect(await notesOf(buggy)).toBe(1);
  }, 90_000);

  it('an invalid request goes to privacy.dlq.v1 with the reason, and nothing is answered', async () => {
    const requestId = randomUUID();
    await send(PRIVACY_EVENT_TYPES.exportRequested, {
      requestId,
      subjectId: 'not-a-uuid',
      requestedAt: new Date().toISOString(),
      partPrefix: exportPartPrefix(requestId),
    });
    const letters = await waitFor(
      () => {
        const mine = deadLetters.filter((letter) => letter.value.includes(requestId));
        return mine.length === 2 ? mine : undefined;
      },
      { what: 'two dead letters (tracking and auth)', timeoutMs: 60_000 },
    );
    expect(letters.map((letter) => letter.headers['dlq-consumer-group']).sort()).toEqual([
      'auth-privacy',
      'tracking-privacy',
    ]);
    expect(letters[0]?.headers['dlq-error']).toMatch(/invalid privacy\.export\.requested body: subjectId/);
    expect(await answers(requestId)).toEqual([]);

    // A request that points the parts at another request's prefix is refused the same way.
    const otherId = randomUUID();
    await send(PRIVACY_EVENT_TYPES.exportRequested, {
      requestId: otherId,
      subjectId: randomUUID(),
      requestedAt: new Date().toISOString(),
      partPrefix: exportPartPrefix(requestId),
    });
    const misdirected = await waitFor(
      () => {
        const mine = deadLetters.filter((letter) => letter.value.includes(otherId));
        return mine.length === 2 ? mine : undefined;
      },
      { what: 'two dead letters for the misdirected request', timeoutMs: 60_000 },
    );
    expect(misdirected[0]?.headers['dlq-error']).toMatch(/partPrefix is not the request's own/);
    expect(await answers(otherId)).toEqual([]);
    expect(await store_().list(exportPartPrefix(requestId))).toEqual([]);
  }, 90_000);
});
