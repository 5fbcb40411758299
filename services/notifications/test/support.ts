import path from 'node:path';

import { TOPICS } from '@tracking/contracts';
import {
  createKafka,
  createMetrics,
  createPool,
  envelopeMessage,
  headersToStrings,
  newEvent,
  type Consumer,
  type EventEnvelope,
  type Producer,
  type RunningConsumer,
} from '@tracking/kit';
import {
  captureLogger,
  createTestDatabase,
  createTestTopics,
  infraEnv,
  randomName,
  sharedMailInbox,
  sharedSmtpServer,
  startSmtpStandIn,
  type MailInbox,
  type SmtpStandIn,
  type TestDatabase,
} from '@tracking/testing';
import type pg from 'pg';

import { readConfig } from '../src/config';
import type { ContactDirectory } from '../src/contacts';
import { policyOf } from '../src/deps';
import { startNotificationConsumer } from '../src/events';
import { createNotificationMetrics, type NotificationMetrics } from '../src/metrics';
import { smtpSender } from '../src/smtp';

export const APP = 'https://tracking.example';

export interface DeadLetter {
  eventId: string;
  error: string;
}

export interface NotificationsFixture {
  db: TestDatabase;
  pool: pg.Pool;
  inbox: MailInbox;
  /** The SMTP server the service talks to: relays to the shared MailDev, refuses what `replies` says. */
  smtp: SmtpStandIn;
  /** Per address, the replies to give at RCPT TO, one per attempt; then it accepts. */
  replies: Map<string, { code: number; message: string }[]>;
  /** user id → address, as auth's GetContact would answer. */
  accounts: Map<string, string>;
  metrics: NotificationMetrics;
  lines: () => Record<string, unknown>[];
  deadLetters: DeadLetter[];
  publish(envelope: EventEnvelope, key?: string): Promise<void>;
  request(data: unknown): EventEnvelope;
  /** A fresh address at the shared MailDev's catch-all domain. */
  address(): string;
  outcomes(eventId: string): Promise<string | undefined>;
  close(): Promise<void>;
}

/**
 * The notifications consumer on real Kafka (topics of its own), a real database with the
 * service's migrations, and real SMTP: a stand-in that can refuse or go away, in front of the
 * shared MailDev where the test reads what was delivered. Only auth is a stand-in (a map).
 */
export async function notificationsFixture(
  options: { recipientLimit?: number; retryGiveUpMs?: number } = {},
): Promise<NotificationsFixture> {
  const db = await createTestDatabase(path.join(__dirname, '..', 'migrations'));
  const prefix = await createTestTopics();
  const pool = createPool(db.appUrl, { max: 4 });
  const { log, lines } = captureLogger('notifications');
  const replies = new Map<string, { code: number; message: string }[]>();
  const smtp = await startSmtpStandIn({
    relayTo: sharedSmtpServer(),
    answer: (recipient) => replies.get(recipient)?.shift(),
  });
  const config = readConfig({
    DATABASE_URL: db.appUrl,
    KAFKA_BROKERS: infraEnv().brokers.join(','),
    AUTH_GRPC_ADDR: '127.0.0.1:1',
    AUTH_CONTACT_TOKEN_FILE: '/nonexistent',
    SMTP_HOST: smtp.host,
    SMTP_PORT: String(smtp.port),
    SMTP_SECURE: 'none',
    SMTP_ALLOW_PLAINTEXT: 'true',
    SMTP_TIMEOUT_MS: '2000',
    MAIL_FROM: 'Tracking <no-reply@tracking.example>',
    PUBLIC_BASE_URL: APP,
    RECIPIENT_LIMIT: String(options.recipientLimit ?? 3),
    SMTP_RETRY_FIRST_DELAY_MS: '100',
    SMTP_RETRY_MAX_DELAY_MS: '500',
    SMTP_RETRY_GIVE_UP_MS: String(options.retryGiveUpMs ?? 60_000),
  });
  const accounts = new Map<string, string>();
  const contacts: ContactDirectory = {
    lookup: (userId) => {
      const email = accounts.get(userId);
      return Promise.resolve(email ? { email } : undefined);
    },
    close: () => undefined,
  };
  const registry = createMetrics();
  const metrics = createNotificationMetrics(registry.registry, pool);
  const sender = smtpSender(config);
  const kafka = createKafka({ clientId: randomName('notifications-'), ...infraEnv().kafka, log });
  const consumer: RunningConsumer = await startNotificationConsumer({
    kafka,
    pool,
    deps: { contacts, sender, metrics, log, policy: policyOf(config) },
    metrics: registry,
    groupId: 'notifications',
    topicPrefix: prefix,
  });
  const producer: Producer = kafka.producer();
  await producer.connect();

  const deadLetters: DeadLetter[] = [];
  const dlq: Consumer = kafka.consumer({ groupId: randomName('dlq-reader-') });
  await dlq.connect();
  await dlq.subscribe({ topic: prefix + TOPICS.notificationsDlq, fromBeginning: true });
  await dlq.run({
    eachMessage: async ({ message }) => {
      const headers = headersToStrings(message.headers);
      deadLetters.push({ eventId: headers['event-id'] ?? '', error: headers['dlq-error'] ?? '' });
      await Promise.resolve();
    },
  });

  return {
    db,
    pool,
    inbox: sharedMailInbox(),
    smtp,
    replies,
    accounts,
    metrics,
    lines,
    deadLetters,
    async publish(envelope, key) {
      await producer.send({
        topic: prefix + TOPICS.notificationsRequested,
        messages: [envelopeMessage(envelope, key ?? 'recipient')],
      });
    },
    request: (data) =>
      newEvent({
        type: 'notification.requested',
        actor: { service: 'auth', userId: null, role: null },
        data,
      }),
    address: () => `${randomName('n')}@example.net`,
    async outcomes(eventId) {
      const { rows } = await pool.query<{ outcome: string }>(
        'SELECT outcome FROM delivery WHERE event_id = $1',
        [eventId],
      );
      return rows[0]?.outcome;
    },
    async close() {
      await consumer.stop();
      await dlq.disconnect();
      await producer.disconnect();
      sender.close();
      await smtp.stop();
      await pool.end();
      await db.drop();
    },
  };
}
