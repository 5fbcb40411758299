import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { Metadata } from '@grpc/grpc-js';
import { createClient, createPrincipalSigner, principalMetadata, type PrincipalRole } from '@tracking/kit';
import { BillingServiceClient } from '@tracking/proto/tracking/billing/v1/billing';
import {
  createTestDatabase,
  createTestTopics,
  freePort,
  grpcClientTls,
  grpcServiceEnv,
  infraEnv,
  randomName,
  startProcess,
  startStripeMock,
  STRIPE_MOCK_KEY,
  type ManagedProcess,
  type StripeMock,
  type TestDatabase,
  kafkaServiceEnv,
} from '@tracking/testing';
import { deliver, stripeClient, type Delivery } from '@tracking/testing/stripe-events';
import { participantExportEnv } from '@tracking/testing/privacy';
import pg from 'pg';
import type Stripe from 'stripe';

export {
  checkoutSessionObject,
  invoiceObject,
  stripeEvent,
  stripeId,
  subscriptionObject,
} from '@tracking/testing/stripe-events';

const ROOT = path.resolve(__dirname, '..', '..', '..');
export const PRICE_PRO = 'price_TestPro';
export const PRICE_TEAM = 'price_TestTeam';

export interface BillingFixture {
  db: TestDatabase;
  /** The migration role: what the test reads and seeds with. */
  owner: pg.Pool;
  stripe: Stripe;
  stripeMock: StripeMock;
  client: BillingServiceClient;
  webhookSecret: string;
  opsUrl: string;
  webhookUrl: string;
  /** The Kafka topic prefix of this billing's topics (privacy requests are sent there). */
  topicPrefix: string;
  /** The service's JSON log lines so far. */
  logLines(): Promise<Record<string, unknown>[]>;
  process: ManagedProcess;
  /** A signed principal for a user, as the gateway would send it. */
  principal(userId: string, role?: PrincipalRole): Promise<Metadata>;
  /**
   * POSTs an event to the webhook path, signed as Stripe signs it (at `timestamp`, with
   * `secret`), optionally changed after signing.
   */
  deliver(
    event: object,
    options?: { timestamp?: number; secret?: string; tamper?: (body: Buffer) => Buffer },
  ): Promise<Delivery>;
  stop(): Promise<void>;
}

/**
 * The real billing process on its own database and topic prefix, with Stripe's API mock as its
 * Stripe, on the real PostgreSQL and Kafka.
 */
export async function startBilling(env: Record<string, string> = {}): Promise<BillingFixture> {
  const { brokers } = infraEnv();
  const db = await createTestDatabase(path.join(ROOT, 'services', 'billing', 'migrations'));
  const stripeMock = await startStripeMock();
  const dir = path.join(tmpdir(), randomName('billing-'));
  await mkdir(dir, { recursive: true });
  const topicPrefix = await createTestTopics();
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const publicKeyFile = path.join(dir, 'principal.pem');
  await writeFile(publicKeyFile, publicKey.export({ type: 'spki', format: 'pem' }));
  const signer = await createPrincipalSigner(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  const webhookSecret = `whsec_${randomBytes(24).toString('hex')}`;
  const keyFile = path.join(dir, 'secret-key');
  const webhookSecretFile = path.join(dir, 'webhook-secret');
  await writeFile(keyFile, STRIPE_MOCK_KEY, { mode: 0o600 });
  await writeFile(webhookSecretFile, webhookSecret, { mode: 0o600 });
  const [grpcPort, opsPort, webhookPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const processes = await startProcess({
    name: 'billing',
    entry: path.join(ROOT, 'services', 'billing', 'src', 'main.ts'),
    env: {
      KAFKA_BROKERS: brokers.join(','),
      KAFKA_TOPIC_PREFIX: topicPrefix,
      ...kafkaServiceEnv('billing'),
      // Its certificate and the callers it admits (the gateway); the tests post to the webhook
      // port in plain HTTP, which only the development flag allows.
      ...grpcServiceEnv('billing'),
      HTTP_ALLOW_PLAINTEXT: 'true',
      LOG_LEVEL: 'debug',
      LOG_FILE: path.join(dir, 'billing.log'),
      OTEL_SDK_DISABLED: 'true',
      GRPC_PORT: String(grpcPort),
      OPS_PORT: String(opsPort),
      WEBHOOK_PORT: String(webhookPort),
      DATABASE_URL: db.appUrl,
      PRINCIPAL_PUBLIC_KEY_FILES: publicKeyFile,
      STRIPE_SECRET_KEY_FILE: keyFile,
      STRIPE_WEBHOOK_SECRET_FILE: webhookSecretFile,
      STRIPE_API_URL: stripeMock.url,
      STRIPE_PRICE_PRO: PRICE_PRO,
      STRIPE_PRICE_TEAM: PRICE_TEAM,
      BILLING_PUBLIC_URL: 'https://app.tracking.test',
      DUNNING_SWEEP_MS: '1000',
      // The tests read what billing published from its outbox, so published rows stay for them.
      OUTBOX_RETAIN_SENT_MS: '3600000',
      // Its export parts go to the local S3 server, encrypted to a key nobody here keeps.
      ...(await participantExportEnv('billing')),
      ...env,
    },
    readyUrl: `http://127.0.0.1:${String(opsPort)}/readyz`,
  });
  const stripe = stripeClient(stripeMock.url, STRIPE_MOCK_KEY);
  // The tests call billing as the gateway does.
  const client = createClient(BillingServiceClient, `127.0.0.1:${String(grpcPort)}`, {
    tls: grpcClientTls('gateway'),
    server: 'billing',
    deadlineMs: 10_000,
  });
  const owner = new pg.Pool({ connectionString: db.migratorUrl, max: 3 });
  const webhookUrl = `http://127.0.0.1:${String(webhookPort)}/webhooks/stripe`;
  return {
    db,
    owner,
    stripe,
    stripeMock,
    client,
    webhookSecret,
    opsUrl: `http://127.0.0.1:${String(opsPort)}`,
    webhookUrl,
    topicPrefix,
    logLines: async () =>
      (await readFile(path.join(dir, 'billing.log'), 'utf8').catch(() => ''))
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    process: processes,
    async principal(userId, role = 'client') {
      return principalMetadata(
        await signer.sign({ userId, role, sessionId: userId, verifiedEmail: null, plan: 'free' }, 'billing'),
      );
    },
    deliver: (event, options = {}) =>
      deliver(stripe, webhookUrl, event, { secret: webhookSecret, ...options }),
    async stop() {
      client.close();
      await processes.stop();
      await stripeMock.stop();
      await owner.end();
      await db.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
