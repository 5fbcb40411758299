import {
  PRIVACY_EVENT_TYPES,
  PRIVACY_TOPICS,
  stepCompletedSchema,
  type PrivacyParticipant,
  type StepCompleted,
} from '@tracking/contracts';
import { envelopeMessage, newEvent, type Producer } from '@tracking/kit';
import { createObjectStore, generateExportKeyPair, type ObjectStore } from '@tracking/kit/privacy';

import { randomName, waitFor } from './index';

/*
 * The privacy service's side of a participant's test (#22): the local S3 store the participant
 * writes its export parts to, the requests the privacy service would send, and the participant's
 * answers as its outbox holds them (the relay does not run in these tests). Imported as
 * '@tracking/testing/privacy', so tests that take no part never load the S3 SDK.
 */

/** The local S3 store (scripts/s3.sh), under a prefix of this test's own. */
export function testExportStore(name: string): ObjectStore {
  const { S3_ENDPOINT, S3_BUCKET, S3_CREDENTIALS_DIR, S3_REGION } = process.env;
  if (!S3_ENDPOINT || !S3_BUCKET || !S3_CREDENTIALS_DIR) throw new Error('start the infrastructure (S3)');
  return createObjectStore({
    EXPORT_S3_ENDPOINT: S3_ENDPOINT,
    EXPORT_S3_REGION: S3_REGION ?? 'us-east-1',
    EXPORT_S3_BUCKET: S3_BUCKET,
    EXPORT_S3_PREFIX: `${name}/${randomName()}/`,
    EXPORT_S3_FORCE_PATH_STYLE: true,
    EXPORT_S3_CREDENTIALS_DIR: S3_CREDENTIALS_DIR,
    EXPORT_S3_SSE: 'AES256',
  });
}

/**
 * The export settings of a participant process a test starts: the local S3 store under a prefix
 * of its own, and a recipient whose key nobody keeps (the test reads no part).
 */
export async function participantExportEnv(name: string): Promise<Record<string, string>> {
  return {
    EXPORT_S3_ENDPOINT: process.env.S3_ENDPOINT ?? '',
    EXPORT_S3_REGION: process.env.S3_REGION ?? 'us-east-1',
    EXPORT_S3_BUCKET: process.env.S3_BUCKET ?? '',
    EXPORT_S3_PREFIX: `${randomName(`${name}-`)}/`,
    EXPORT_S3_CREDENTIALS_DIR: process.env.S3_CREDENTIALS_DIR ?? '',
    PRIVACY_EXPORT_RECIPIENT: (await generateExportKeyPair()).recipient,
  };
}

/** Empties the test's prefix and closes the store. */
export async function removeTestExportStore(store: ObjectStore): Promise<void> {
  const left = await store.list('');
  await store.remove(...left);
  store.close();
}

interface Queryable {
  query(sql: string, params: unknown[]): Promise<{ rows: unknown[] }>;
}

/**
 * Sends privacy requests as the privacy service does, and reads `service`'s answers to them from
 * its outbox. An answer other than `privacy.step.completed` fails the read, naming its type.
 */
export function privacySagaProbe(options: {
  service: PrivacyParticipant;
  producer: Producer;
  topicPrefix: string;
  db: Queryable;
}) {
  const { service, producer, topicPrefix, db } = options;

  async function request(
    type: string,
    data: { requestId: string; subjectId: string; [field: string]: unknown },
  ): Promise<void> {
    const event = newEvent({ type, actor: { service: 'privacy', userId: null, role: null }, data });
    await producer.send({
      topic: topicPrefix + PRIVACY_TOPICS.request,
      acks: -1,
      messages: [envelopeMessage(event, data.subjectId)],
    });
  }

  async function answers(requestId: string): Promise<StepCompleted[]> {
    const { rows } = (await db.query(
      `SELECT payload FROM outbox WHERE topic = $1 AND payload->'data'->>'requestId' = $2 ORDER BY id`,
      [PRIVACY_TOPICS.step, requestId],
    )) as { rows: { payload: { type: string; data: unknown } }[] };
    return rows.map(({ payload }) => {
      if (payload.type !== PRIVACY_EVENT_TYPES.stepCompleted)
        throw new Error(`${service} answered ${payload.type}, not ${PRIVACY_EVENT_TYPES.stepCompleted}`);
      return stepCompletedSchema.parse(payload.data);
    });
  }

  /** The first answer to `requestId`, once there is one. */
  const answered = (requestId: string) =>
    waitFor(async () => (await answers(requestId))[0], { what: `${service}’s answer`, timeoutMs: 60_000 });

  return { request, answers, answered };
}
