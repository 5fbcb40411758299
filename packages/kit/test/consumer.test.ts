import { randomUUID } from 'node:crypto';

import {
  captureLogger,
  createTestDatabase,
  infraEnv,
  randomName,
  waitFor,
  type TestDatabase,
} from '@tracking/testing';
import type { Consumer } from 'kafkajs';
import type pg from 'pg';

import {
  createKafka,
  createMetrics,
  createPool,
  consumerLag,
  createProducer,
  envelopeMessage,
  ensureTopics,
  headersToStrings,
  newEvent,
  pgTransactionRunner,
  PoisonMessageError,
  runWithContext,
  startConsumer,
  type ConsumerOptions,
  type EventEnvelope,
  type Metrics,
  type RunningConsumer,
} from '../src';

const TOPIC = 'kit.consumer-test.v1';
const DLQ = 'kit.consumer-test-dlq.v1';

// Every promise holds in both modes: one event per transaction (`handle`), and chunks of a
// Kafka batch per transaction (`handleBatch`), which falls back to `handle` on a failure.
describe.each([
  ['one event per transaction', false],
  ['whole batches per transaction', true],
])('an idempotent consumer with a dead-letter topic, %s', (_mode, batched) => {
  const prefix = `${randomName()}.`;
  const { log, lines } = captureLogger('consumer-test');
  const kafka = createKafka({ clientId: 'consumer-test', ...infraEnv().kafka, log });
  const metrics = createMetrics();
  const producer = createProducer(kafka);
  // Set by beforeAll; still undefined in afterAll if beforeAll failed part-way.
  let db: TestDatabase | undefined;
  let pool: pg.Pool | undefined;
  let running: RunningConsumer | undefined;
  let dlqReader: Consumer | undefined;
  const deadLetters: { value: string; headers: Record<string, string> }[] = [];
  const failuresBeforeSuccess = new Map<string, number>();
  /** Batch mode: the notes of each handleBatch call, in the order they were applied. */
  const batches: string[][] = [];

  async function apply(event: EventEnvelope, tx: pg.PoolClient) {
    const data = event.data as { note: string; failTimes?: number; failWith?: string };
    const failed = failuresBeforeSuccess.get(event.id) ?? 0;
    if (data.failWith === 'poison') throw new PoisonMessageError('this event can never be applied');
    if (data.failWith === 'bug') throw new Error('handler bug');
    if (data.failTimes && failed < data.failTimes) {
      failuresBeforeSuccess.set(event.id, failed + 1);
      throw Object.assign(new Error('connection reset'), { code: 'ECONNRESET' });
    }
    await tx.query('INSERT INTO effect (event_id, note) VALUES ($1, $2)', [event.id, data.note]);
  }

  // The consumer under test; a test restarts it with fresh metrics to see what it is sent again.
  const consumerOptions = (counters: Metrics): ConsumerOptions<pg.PoolClient> => {
    if (!pool) throw new Error('beforeAll did not create the pool');
    return {
      kafka,
      groupId: 'kit-consumer-test',
      topics: [TOPIC],
      dlqTopic: DLQ,
      topicPrefix: prefix,
      log,
      metrics: counters,
      transaction: pgTransactionRunner(pool),
      maxAttempts: 3,
      retryBackoffMs: 20,
      lagIntervalMs: 200,
      handle: apply,
      ...(batched
        ? {
            batchSize: 8,
            async handleBatch(items: { event: EventEnvelope }[], tx: pg.PoolClient) {
              for (const { event } of items) await apply(event, tx);
              batches.push(items.map(({ event }) => (event.data as { note: string }).note));
            },
          }
        : {}),
    };
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    const owner = createPool(db.migratorUrl, { max: 1 });
    await owner.query(`CREATE TABLE effect (seq bigserial, event_id uuid NOT NULL, note text NOT NULL)`);
    await owner.query(`GRANT SELECT, INSERT ON effect TO ${db.database}_app`);
    await owner.query(`GRANT USAGE ON SEQUENCE effect_seq_seq TO ${db.database}_app`);
    await owner.end();
    pool = createPool(db.appUrl);
    const manifest = (name: string) => ({
      name,
      partitions: 1,
      retentionMs: 3_600_000,
      cleanupPolicy: 'delete' as const,
      description: 'test',
    });
    await ensureTopics(kafka, { topics: [manifest(TOPIC), manifest(DLQ)] }, prefix);
    await producer.connect();

    dlqReader = kafka.consumer({ groupId: `${prefix}dlq-reader` });
    await dlqReader.connect();
    await dlqReader.subscribe({ topic: prefix + DLQ, fromBeginning: true });
    await dlqReader.run({
      eachMessage: ({ message }) => {
        deadLetters.push({
          value: message.value?.toString() ?? '',
          headers: headersToStrings(message.headers),
        });
        return Promise.resolve();
      },
    });

    running = await startConsumer(consumerOptions(metrics));
  });

  afterAll(async () => {
    await running?.stop();
    await dlqReader?.disconnect();
    await producer.disconnect();
    await pool?.end();
    await db?.drop();
  });

  const actor = { service: 'test', userId: null, role: null };
  const effects = async (eventId: string) => {
    if (!pool) throw new Error('beforeAll did not create the pool');
    return (await pool.query('SELECT note FROM effect WHERE event_id = $1', [eventId])).rows as {
      note: string;
    }[];
  };

  test('an event delivered twice has exactly one effect', async () => {
    const event = newEvent({ type: 'test.thing.happened', actor, data: { note: 'once' } });
    await producer.send({
      topic: prefix + TOPIC,
      messages: [envelopeMessage(event), envelopeMessage(event)],
    });
    await waitFor(
      () =>
        metrics.consumed
          .get()
          .then((m) => m.values.some((v) => v.labels.outcome === 'duplicate' && v.value > 0)),
      {
        what: 'the duplicate delivery to be consumed',
      },
    );
    expect(await effects(event.id)).toEqual([{ note: 'once' }]);
  });

  test('a malformed message lands in the dead-letter topic with its error, and the consumer keeps going', async () => {
    const marker = randomUUID();
    const valid = newEvent({ type: 'test.thing.happened', actor, data: { note: 'after the poison' } });
    await producer.send({
      topic: prefix + TOPIC,
      messages: [
        { key: 'bad-1', value: `not json ${marker}`, headers: { 'x-correlation-id': `corr-${marker}` } },
        { key: 'bad-2', value: JSON.stringify({ id: 'not-a-uuid', marker }) },
        envelopeMessage(valid),
      ],
    });
    await waitFor(async () => (await effects(valid.id)).length === 1, {
      what: 'the valid event after the poison',
    });
    const dead = await waitFor(
      () => {
        const found = deadLetters.filter((d) => d.value.includes(marker));
        return found.length === 2 ? found : undefined;
      },
      { what: 'two dead letters' },
    );
    expect(dead[0]?.headers['dlq-error']).toMatch(/not JSON/);
    expect(dead[1]?.headers['dlq-error']).toMatch(/invalid event envelope: id/);
    expect(dead[0]?.headers['dlq-source-topic']).toBe(TOPIC);
    expect(dead[0]?.headers['dlq-consumer-group']).toBe('kit-consumer-test');
    expect(dead[0]?.headers['x-correlation-id']).toBe(`corr-${marker}`);
    const logged = lines().filter(
      (line) => line.event === 'kafka.dead_lettered' && line.correlation_id === `corr-${marker}`,
    );
    expect(logged).toHaveLength(1);
  });

  test('a handler that declares an event poison dead-letters it at once, with no effect', async () => {
    const event = newEvent({
      type: 'test.thing.happened',
      actor,
      data: { note: 'never', failWith: 'poison' },
    });
    await producer.send({ topic: prefix + TOPIC, messages: [envelopeMessage(event)] });
    const dead = await waitFor(() => deadLetters.find((d) => d.headers['event-id'] === event.id), {
      what: 'the dead letter',
    });
    expect(dead.headers['dlq-error']).toBe('PoisonMessageError: this event can never be applied');
    expect(await effects(event.id)).toEqual([]);
  });

  test('a failing handler is retried, then dead-lettered with the error after the last attempt', async () => {
    const event = newEvent({ type: 'test.thing.happened', actor, data: { note: 'never', failWith: 'bug' } });
    await producer.send({ topic: prefix + TOPIC, messages: [envelopeMessage(event)] });
    const dead = await waitFor(() => deadLetters.find((d) => d.headers['event-id'] === event.id), {
      what: 'the dead letter',
    });
    expect(dead.headers['dlq-error']).toBe('Error: handler bug');
    const retries = lines().filter(
      (line) =>
        line.msg === 'event processing failed; retrying' &&
        (line as { eventId?: string }).eventId === event.id,
    );
    expect(retries).toHaveLength(2);
  });

  test('a transient failure is retried until it succeeds, and the event is applied once', async () => {
    const event = runWithContext({ correlationId: 'transient-test-0001' }, () =>
      newEvent({ type: 'test.thing.happened', actor, data: { note: 'eventually', failTimes: 4 } }),
    );
    await producer.send({ topic: prefix + TOPIC, messages: [envelopeMessage(event)] });
    await waitFor(async () => (await effects(event.id)).length === 1, { what: 'the eventual success' });
    expect(failuresBeforeSuccess.get(event.id)).toBe(4);
    expect(deadLetters.find((d) => d.headers['event-id'] === event.id)).toBeUndefined();
    expect(await effects(event.id)).toEqual([{ note: 'eventually' }]);
  });

  // Batch mode only.
  if (batched)
    test('events sent together are applied in chunks, in order; a poison event among them is dead-lettered alone', async () => {
      const notes = Array.from({ length: 20 }, (_, index) => `bulk-${String(index)}`);
      const events = notes.map((note) =>
        newEvent({
          type: 'test.thing.happened',
          actor,
          data: note === 'bulk-13' ? { note, failWith: 'poison' } : { note },
        }),
      );
      await producer.send({ topic: prefix + TOPIC, messages: events.map((event) => envelopeMessage(event)) });
      const good = events.filter((_, index) => index !== 13);
      await waitFor(
        async () =>
          (await Promise.all(good.map((event) => effects(event.id)))).every((rows) => rows.length === 1)
            ? true
            : undefined,
        { what: 'every good event to be applied' },
      );
      await waitFor(() => deadLetters.find((d) => d.headers['event-id'] === events[13]?.id), {
        what: 'the poison event in the dead-letter topic',
      });
      expect(await effects(events[13]?.id ?? '')).toEqual([]);
      // Committed in the order sent, each event once: the chunk holding the poison event was
      // replayed one event at a time, the others applied whole.
      if (!pool) throw new Error('beforeAll did not create the pool');
      const committed = await pool.query<{ note: string }>(
        "SELECT note FROM effect WHERE note LIKE 'bulk-%' ORDER BY seq",
      );
      expect(committed.rows.map((row) => row.note)).toEqual(notes.filter((note) => note !== 'bulk-13'));
      expect(lines().some((line) => line.msg === 'batch failed; replaying it one event at a time')).toBe(
        true,
      );
      expect(Math.max(...batches.map((batch) => batch.length))).toBeGreaterThan(1);
      expect(Math.max(...batches.map((batch) => batch.length))).toBeLessThanOrEqual(8);
    });

  test('the lag metric shows how far a group trails the topic', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const ends = await admin.fetchTopicOffsets(prefix + TOPIC);
      const total = ends.reduce((sum, end) => sum + Number(end.high) - Number(end.low), 0);
      expect(total).toBeGreaterThan(0);
      const never = await consumerLag(admin, `${prefix}never-consumed`, [prefix + TOPIC]);
      expect(never.get(prefix + TOPIC)).toBe(total);
      // The running consumer has handled everything sent so far, so its lag falls to 0.
      await waitFor(
        async () =>
          (await consumerLag(admin, `${prefix}kit-consumer-test`, [prefix + TOPIC])).get(prefix + TOPIC) ===
          0,
        { what: "the running consumer's lag to reach 0" },
      );
      await waitFor(
        async () =>
          (await metrics.consumerLag.get()).values.some((v) => v.labels.topic === TOPIC && v.value === 0),
        { what: 'the lag gauge to report it' },
      );
    } finally {
      await admin.disconnect();
    }
  });

  test('a consumer stopped gracefully resumes after what it finished: nothing it processed is delivered again', async () => {
    await running?.stop();
    const restarted = createMetrics();
    running = await startConsumer(consumerOptions(restarted));
    const event = newEvent({ type: 'test.thing.happened', actor, data: { note: 'after the restart' } });
    await producer.send({ topic: prefix + TOPIC, messages: [envelopeMessage(event)] });
    await waitFor(async () => (await effects(event.id)).length === 1, {
      what: 'the event after the restart',
    });
    // One partition: anything sent again would have been handled before this newer event.
    const outcomes = await waitFor(
      async () => {
        const values = (await restarted.consumed.get()).values;
        // Every outcome's series exists from the start, at 0; only what happened counts here.
        const counted = values.filter((value) => value.value > 0);
        return counted.some((value) => value.labels.outcome === 'processed')
          ? counted.map((value) => [value.labels.outcome, value.value])
          : undefined;
      },
      { what: 'the restarted consumer to count the event' },
    );
    expect(outcomes).toEqual([['processed', 1]]);
  });
});
