import { randomUUID } from 'node:crypto';

import { TOPICS } from '@tracking/contracts';
import {
  createKafka,
  createMetrics,
  createProducer,
  envelopeMessage,
  newEvent,
  type Kafka,
  type KafkaSecurity,
} from '@tracking/kit';
import {
  captureLogger,
  createTestTopics,
  infraEnv,
  kafkaLogin,
  randomName,
  waitFor,
} from '@tracking/testing';
import { Kafka as RawKafka, logLevel } from 'kafkajs';

/**
 * The red team's Kafka attacks (#24) against a broker that logs clients in and authorises them
 * from the topics manifest (KAFKA_SECURITY=scram, scripts/kafka.sh): a forged
 * `billing.plan.changed` would grant a paid plan or switch MFA, a forged `audit.recorded` would
 * be sealed into the audit chain as genuine, and reading `tracking.meal.v1` would expose meal
 * text. Each attempt is made with no login, a wrong password and another service's login; the
 * broker refuses it, and the topic is still empty afterwards. The owners still work.
 * On a plaintext broker (KAFKA_SECURITY unset) there is nothing to test: the suite is skipped.
 */
const secured = kafkaLogin('admin') !== undefined;
const describeSecured = secured ? describe : describe.skip;

describeSecured('Kafka authenticates every client and authorises it from the topics manifest', () => {
  const { brokers } = infraEnv();
  let prefix = '';
  let admin: ReturnType<Kafka['admin']>;

  const as = (principal: string, log = captureLogger('kafka-acl').log): Kafka =>
    createKafka({ clientId: randomName('acl-'), brokers, security: login(principal), log });
  const login = (principal: string): KafkaSecurity => {
    const security = kafkaLogin(principal);
    if (!security) throw new Error(`no Kafka login for ${principal}`);
    return security;
  };

  const planChanged = () =>
    envelopeMessage(
      newEvent({
        type: 'billing.plan.changed',
        actor: { service: 'billing', userId: null, role: null },
        data: {
          userId: randomUUID(),
          oldPlan: 'free',
          newPlan: 'pro',
          effectiveAt: new Date().toISOString(),
          reason: 'subscribed',
        },
      }),
    );
  const auditRecorded = () =>
    envelopeMessage(
      newEvent({
        type: 'audit.recorded',
        actor: { service: 'auth', userId: randomUUID(), role: 'admin' },
        data: { action: 'auth.role.changed', subject: { type: 'user', id: randomUUID() } },
      }),
    );

  /** Sends with `kafka`'s idempotent producer; resolves to the broker's error code, if it refused. */
  async function send(kafka: Kafka, topic: string, message: ReturnType<typeof planChanged>) {
    const producer = createProducer(kafka);
    try {
      await producer.connect();
      await producer.send({ topic: prefix + topic, messages: [message] });
      return undefined;
    } catch (error) {
      // kafkajs wraps the broker's answer once it gives up retrying.
      const { type, cause } = error as { type?: string; cause?: { type?: string } };
      return { type: type ?? cause?.type ?? String(error) };
    } finally {
      await producer.disconnect();
    }
  }

  const messagesOn = async (topic: string) =>
    (await admin.fetchTopicOffsets(prefix + topic)).reduce(
      (sum, partition) => sum + Number(partition.high),
      0,
    );

  beforeAll(async () => {
    prefix = await createTestTopics();
    admin = createKafka({ clientId: 'acl-admin', ...infraEnv().kafka, log: captureLogger().log }).admin();
    await admin.connect();
    // The new topics' leaders may not have reached the broker's metadata cache yet.
    await waitFor(
      async () =>
        (await messagesOn(TOPICS.auditEvents)) === 0 && (await messagesOn(TOPICS.billingPlan)) === 0,
    );
  });
  afterAll(async () => {
    await admin.disconnect();
  });

  it('refuses a client that does not log in, and one with a wrong password', async () => {
    // A bare client: no retries, so the refusal is the broker's first answer.
    const bare = (sasl?: { username: string; password: string }) =>
      new RawKafka({
        clientId: 'intruder',
        brokers,
        logLevel: logLevel.NOTHING,
        retry: { retries: 0 },
        connectionTimeout: 3_000,
        ssl: { ca: [login('admin').ca] },
        ...(sasl ? { sasl: { mechanism: 'scram-sha-512' as const, ...sasl } } : {}),
      }).producer();
    const plaintext = new RawKafka({
      clientId: 'intruder',
      brokers,
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
      connectionTimeout: 3_000,
    }).producer();
    await expect(plaintext.connect()).rejects.toThrow();
    // TLS without a login: the broker answers only the handshake's own requests.
    const anonymous = bare();
    await expect(
      anonymous
        .connect()
        .then(() => anonymous.send({ topic: prefix + TOPICS.billingPlan, messages: [planChanged()] })),
    ).rejects.toThrow();
    await anonymous.disconnect();
    await expect(bare({ username: 'billing', password: 'not-the-password' }).connect()).rejects.toThrow(
      /SASL SCRAM SHA512 authentication failed/,
    );
    expect(await messagesOn(TOPICS.billingPlan)).toBe(0);
  });

  it.each(['ai-inference', 'tracking', 'audit', 'auth'])(
    'refuses a billing.plan.changed forged with the credentials of %s, so auth never sees it',
    async (principal) => {
      const error = await send(as(principal), TOPICS.billingPlan, planChanged());
      expect(error?.type).toBe('TOPIC_AUTHORIZATION_FAILED');
      expect(await messagesOn(TOPICS.billingPlan)).toBe(0);
    },
  );

  it.each(['ai-inference', 'audit'])(
    'refuses an audit.recorded forged with the credentials of %s, so audit never seals it',
    async (principal) => {
      const error = await send(as(principal), TOPICS.auditEvents, auditRecorded());
      expect(error?.type).toBe('TOPIC_AUTHORIZATION_FAILED');
      expect(await messagesOn(TOPICS.auditEvents)).toBe(0);
    },
  );

  it.each(['audit', 'billing'])(
    'refuses to let %s read the meal text on tracking.meal.v1',
    async (principal) => {
      const kafka = as(principal);
      // The group is one the principal may use: only the topic's ACL stands in the way.
      const consumer = kafka.consumer({ groupId: `${prefix}${principal}-${randomName()}` });
      await consumer.connect();
      try {
        await expect(
          consumer.subscribe({ topic: prefix + TOPICS.trackingMeal, fromBeginning: true }),
        ).rejects.toMatchObject({ type: 'TOPIC_AUTHORIZATION_FAILED' });
      } finally {
        await consumer.disconnect();
      }
    },
  );

  it('logs and counts the refusal as the security event kafka.refused on the refused client', async () => {
    const { log, lines } = captureLogger('ai-inference');
    const metrics = createMetrics();
    const kafka = createKafka({
      clientId: 'ai-inference',
      brokers,
      security: login('ai-inference'),
      log,
      metrics,
    });
    await send(kafka, TOPICS.billingPlan, planChanged());
    const refused = lines().filter((line) => line.event === 'kafka.refused');
    expect(refused[0]).toMatchObject({ security: true, reason: 'authorization', principal: 'ai-inference' });
    expect(JSON.stringify(refused)).not.toContain(login('ai-inference').password);
    const counted = (await metrics.registry.getSingleMetric('security_events_total')?.get())?.values ?? [];
    expect(counted.find((value) => value.labels.event === 'kafka.refused')?.value).toBeGreaterThanOrEqual(1);
  });

  it('lets billing publish its plan changes and auth read them, in auth’s own group', async () => {
    expect(await send(as('billing'), TOPICS.billingPlan, planChanged())).toBeUndefined();
    const consumer = as('auth').consumer({ groupId: `${prefix}auth-plans` });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: prefix + TOPICS.billingPlan, fromBeginning: true });
      const received = new Promise<string>((resolve) => {
        void consumer.run({
          eachMessage: ({ message }) => {
            resolve(message.headers?.['event-type']?.toString() ?? '');
            return Promise.resolve();
          },
        });
      });
      await expect(received).resolves.toBe('billing.plan.changed');
    } finally {
      await consumer.disconnect();
    }
  });

  it('refuses auth a consumer group named after another service', async () => {
    const { log, lines } = captureLogger('auth');
    const consumer = as('auth', log).consumer({ groupId: `${prefix}billing-${randomName()}` });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: prefix + TOPICS.billingPlan, fromBeginning: true });
      const crashed = new Promise<unknown>((resolve) => consumer.on(consumer.events.CRASH, resolve));
      await consumer.run({ eachMessage: () => Promise.resolve() });
      // The broker will not even say which broker coordinates the group.
      await expect(crashed).resolves.toMatchObject({
        payload: { error: { name: 'KafkaJSGroupCoordinatorNotFound' } },
      });
      expect(lines().filter((line) => line.event === 'kafka.refused')).toContainEqual(
        expect.objectContaining({
          reason: 'authorization',
          detail: expect.stringMatching(/group authorization failed/i) as unknown,
        }),
      );
    } finally {
      await consumer.disconnect();
    }
  });
});
