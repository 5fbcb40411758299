import {
  captureLogger,
  createTestDatabase,
  infraEnv,
  randomName,
  waitFor,
  type TestDatabase,
} from '@tracking/testing';
import type pg from 'pg';

import {
  createKafka,
  createMetrics,
  createPool,
  createProducer,
  envelopeMessage,
  ensureTopics,
  newEvent,
  pgTransactionRunner,
  startConsumer,
  type RunningConsumer,
} from '../src';

const TOPIC = 'kit.slow-consumer-test.v1';
const SESSION_TIMEOUT_MS = 6_000; // the broker's minimum

describe('a consumer whose handler outlasts the session timeout', () => {
  const prefix = `${randomName()}.`;
  const { log } = captureLogger('slow-consumer-test');
  const kafka = createKafka({ clientId: 'slow-consumer-test', ...infraEnv().kafka, log });
  const producer = createProducer(kafka);
  let db: TestDatabase | undefined;
  let pool: pg.Pool | undefined;
  let running: RunningConsumer | undefined;
  const calls: string[] = [];
  const metrics = createMetrics();

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = createPool(db.appUrl);
    const topic = {
      partitions: 1,
      retentionMs: 3_600_000,
      cleanupPolicy: 'delete' as const,
      description: 'test',
    };
    await ensureTopics(
      kafka,
      {
        topics: [
          { name: TOPIC, ...topic },
          { name: `${TOPIC}-dlq`, ...topic },
        ],
      },
      prefix,
    );
    await producer.connect();
    running = await startConsumer({
      kafka,
      groupId: 'slow-consumer-test',
      topics: [TOPIC],
      dlqTopic: `${TOPIC}-dlq`,
      topicPrefix: prefix,
      log,
      metrics,
      transaction: pgTransactionRunner(pool),
      sessionTimeoutMs: SESSION_TIMEOUT_MS,
      async handle(event) {
        calls.push(event.id);
        // Longer than the session: an LLM call with its retries can take this long.
        await new Promise((resolve) => setTimeout(resolve, SESSION_TIMEOUT_MS * 2));
      },
    });
  });

  afterAll(async () => {
    await running?.stop();
    await producer.disconnect();
    await pool?.end();
    await db?.drop();
  });

  it('keeps its partition by heartbeating, so the message is delivered once, not again to a new member', async () => {
    const event = newEvent({
      type: 'test.slow.happened',
      actor: { service: 'test', userId: null, role: null },
      data: {},
    });
    await producer.send({ topic: prefix + TOPIC, messages: [envelopeMessage(event)] });
    await waitFor(() => calls.length > 0, { what: 'the handler to start', timeoutMs: 30_000 });
    // Long enough for a lost member's message to be handed out and started again.
    await new Promise((resolve) => setTimeout(resolve, SESSION_TIMEOUT_MS * 4));
    expect(calls).toEqual([event.id]);
    // Handed out again, it would be absorbed as a duplicate: none may have been delivered.
    // Every outcome's series starts at 0; only what happened counts.
    const outcomes = (await metrics.consumed.get()).values
      .filter((value) => value.value > 0)
      .map((value) => [value.labels.outcome, value.value]);
    expect(outcomes).toEqual([['processed', 1]]);
  }, 90_000);
});
