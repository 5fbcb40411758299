import {
  captureLogger,
  createTestDatabase,
  infraEnv,
  randomName,
  waitFor,
  type TestDatabase,
} from '@tracking/testing';
import type { Consumer, Producer } from 'kafkajs';
import type pg from 'pg';

import {
  createKafka,
  createMetrics,
  createPool,
  createProducer,
  enqueue,
  ensureTopics,
  newEvent,
  OutboxRelay,
  pgTransactionRunner,
  type Metrics,
} from '../src';

const TOPIC = 'kit.relay-order.v1';

describe('two relays on one outbox (two replicas of a service)', () => {
  const prefix = `${randomName()}.`;
  const { log } = captureLogger('relay-leader-test');
  const kafka = createKafka({ clientId: 'relay-leader-test', ...infraEnv().kafka, log });
  const producers: Producer[] = [createProducer(kafka), createProducer(kafka)];
  let db: TestDatabase | undefined;
  let pool: pg.Pool | undefined;
  let consumer: Consumer | undefined;
  const relays: OutboxRelay[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = createPool(db.appUrl, { max: 12 });
    await ensureTopics(
      kafka,
      {
        topics: [
          {
            name: TOPIC,
            partitions: 1,
            retentionMs: 3_600_000,
            cleanupPolicy: 'delete',
            description: 'test',
          },
        ],
      },
      prefix,
    );
    await Promise.all(producers.map((producer) => producer.connect()));
  });

  afterAll(async () => {
    await Promise.all(relays.map((relay) => relay.stop()));
    await Promise.all(producers.map((producer) => producer.disconnect()));
    await consumer?.disconnect();
    await pool?.end();
    await db?.drop();
  });

  const published = async (metrics: Metrics) =>
    (await metrics.outboxPublished.get()).values.reduce((sum, value) => sum + value.value, 0);

  test('only one publishes, so events leave in commit order; when it stops, the other takes over', async () => {
    if (!pool) throw new Error('beforeAll did not create the pool');
    const outboxPool = pool;
    const transaction = pgTransactionRunner(outboxPool);
    const actor = { service: 'test', userId: null, role: null };
    const order: string[] = [];
    const write = async (count: number) => {
      for (let batch = 0; batch < count / 100; batch++) {
        const events = Array.from({ length: 100 }, (_, index) => ({
          topic: TOPIC,
          key: 'one-key',
          envelope: newEvent({ type: 'test.thing.happened', actor, data: { batch, index } }),
        }));
        await transaction((sql) => enqueue(sql, events));
        order.push(...events.map((event) => event.envelope.id));
      }
    };
    await write(3_000);

    const received: string[] = [];
    consumer = kafka.consumer({ groupId: `${prefix}reader` });
    await consumer.connect();
    await consumer.subscribe({ topic: prefix + TOPIC, fromBeginning: true });
    await consumer.run({
      eachMessage: ({ message }) => {
        received.push(message.headers?.['event-id']?.toString() ?? '');
        return Promise.resolve();
      },
    });

    const replicas = producers.map((producer) => {
      const metrics = createMetrics();
      const relay = new OutboxRelay({
        pool: outboxPool,
        producer,
        log,
        metrics,
        topicPrefix: prefix,
        batchSize: 100,
        pollIntervalMs: 100,
      });
      relays.push(relay);
      return { relay, metrics };
    });
    await Promise.all(replicas.map(({ relay }) => relay.start()));
    await waitFor(() => received.length >= 3_000, { what: 'all 3000 events', timeoutMs: 60_000 });
    expect(received).toEqual(order);
    // The relay counts a batch after its commit, which follows Kafka's ack: wait for the tally.
    const counts = await waitFor(
      async () => {
        const tally = await Promise.all(replicas.map(({ metrics }) => published(metrics)));
        return tally.reduce((sum, n) => sum + n, 0) >= 3_000 ? tally : undefined;
      },
      { what: 'the relays to count what they published' },
    );
    expect(counts.sort((a, b) => a - b)).toEqual([0, 3_000]);

    // The leader goes away (a replica scaled down); the standby picks up what is written next.
    const leader = replicas.find(({ relay }) => relay.isLeader);
    const standby = replicas.find(({ relay }) => !relay.isLeader);
    if (!leader || !standby) throw new Error('expected one leader and one standby');
    await leader.relay.stop();
    await write(500);
    await waitFor(() => received.length >= 3_500, {
      what: 'the events written after the failover',
      timeoutMs: 60_000,
    });
    expect(received).toEqual(order);
    await waitFor(async () => (await published(standby.metrics)) >= 500, {
      what: 'the standby to count its batches',
    });
    expect(await published(standby.metrics)).toBe(500);
    expect(await published(leader.metrics)).toBe(3_000);
  });
});
