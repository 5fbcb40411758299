import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';

import {
  createKafka,
  createLogger,
  dropDatabase,
  ensureAcls,
  ensureTopics,
  manifestAcls,
  migrate,
  provisionDatabase,
  readTopicsManifest,
  verifiedPostgresUrl,
  type KafkaSecurity,
  type Logger,
  type ProvisionedDatabase,
} from '@tracking/kit';

import { REPO_ROOT } from './repo';

export * from './alert-receiver';
export * from './components';
export * from './edge';
export * from './grpc-tls';
export * from './mail';
export * from './observability';
export * from './otlp-receiver';
export * from './processes';
export * from './stripe-mock';

/**
 * Helpers for integration tests that run against the real PostgreSQL and Kafka started by
 * scripts/infra.sh. Each test gets its own database and topic prefix, so test files can run in
 * parallel beside a developer's running stack without touching its data.
 */
export function infraEnv(): {
  adminUrl: string;
  brokers: string[];
  /** The brokers and the admin's login, for a test's own Kafka client (createKafka({ ...kafka })). */
  kafka: { brokers: string[]; security?: KafkaSecurity };
} {
  const adminUrl = process.env.PG_ADMIN_URL;
  const brokers = process.env.KAFKA_BROKERS;
  if (!adminUrl || !brokers) {
    throw new Error(
      'PG_ADMIN_URL and KAFKA_BROKERS are not set: start the infrastructure with `npm run infra up`',
    );
  }
  // Every database URL a test makes comes from this one: a .local/infra.env from before PostgreSQL
  // spoke TLS would give URLs the services refuse and the server rejects.
  if (verifiedPostgresUrl(adminUrl) === undefined) {
    throw new Error(
      'PG_ADMIN_URL does not say sslmode=verify-full: run `npm run infra up` to rewrite .local/infra.env',
    );
  }
  const list = brokers.split(',');
  return { adminUrl, brokers: list, kafka: { brokers: list, security: kafkaLogin('admin') } };
}

/**
 * A principal's login on a broker started with KAFKA_SECURITY=scram (scripts/kafka.sh), or
 * undefined on a plaintext one. Tests log in as the admin; a test that checks the ACLs logs in
 * as a service.
 */
export function kafkaLogin(principal: string): KafkaSecurity | undefined {
  const dir = process.env.KAFKA_SECRETS_DIR;
  if (process.env.KAFKA_SECURITY !== 'scram' || !dir) return undefined;
  return {
    username: principal,
    password: readFileSync(path.join(dir, principal), 'utf8').trim(),
    ca: readFileSync(path.join(dir, 'ca.pem'), 'utf8'),
  };
}

/** A service's own Kafka login as environment (kafkaConnection), for the services a test starts. */
export function kafkaServiceEnv(service: string): Record<string, string> {
  const dir = process.env.KAFKA_SECRETS_DIR;
  if (process.env.KAFKA_SECURITY !== 'scram' || !dir) return {};
  return {
    KAFKA_SASL_USERNAME: service,
    KAFKA_SASL_PASSWORD_FILE: path.join(dir, service),
    KAFKA_CA_FILE: path.join(dir, 'ca.pem'),
  };
}

export function randomName(prefix = 't'): string {
  return `${prefix}${randomBytes(5).toString('hex')}`;
}

export interface TestDatabase extends ProvisionedDatabase {
  drop(): Promise<void>;
}

/** A fresh database with its migrator and app roles, migrated with the kit's and `migrationsDir`'s files. */
export async function createTestDatabase(migrationsDir?: string): Promise<TestDatabase> {
  const { adminUrl } = infraEnv();
  const database = randomName('test_');
  const provisioned = await provisionDatabase({
    adminUrl,
    database,
    migratorPassword: randomBytes(18).toString('hex'),
    appPassword: randomBytes(18).toString('hex'),
  });
  await migrate({ connectionString: provisioned.migratorUrl, dir: migrationsDir ?? emptyDir });
  return { ...provisioned, drop: () => dropDatabase(adminUrl, database) };
}

const emptyDir = '/nonexistent-migrations';

/** The platform's topics manifest, as the chart ships it. */
const TOPICS_MANIFEST = path.join(REPO_ROOT, 'charts', 'tracking', 'files', 'topics.json');

/**
 * Every topic of the platform's manifest under a fresh prefix, for the services one test
 * starts; returns the prefix (their KAFKA_TOPIC_PREFIX).
 */
export async function createTestTopics(): Promise<string> {
  const prefix = `${randomName()}.`;
  const kafka = createKafka({
    clientId: 'test-topics',
    ...infraEnv().kafka,
    log: createLogger({ service: 'test', level: 'warn' }),
  });
  const manifest = readTopicsManifest(TOPICS_MANIFEST);
  await ensureTopics(kafka, manifest, prefix);
  // On a broker that authorises, the services get exactly the manifest's permissions on them.
  if (kafkaLogin('admin')) await ensureAcls(kafka, manifestAcls(manifest, prefix));
  return prefix;
}

/** A logger whose JSON lines the test can read back. */
export function captureLogger(service = 'test'): { log: Logger; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  const log = createLogger({ service, level: 'debug', stream });
  return {
    log,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

/** Polls `probe` until it returns a truthy value or the time is up. */
export async function waitFor<T>(
  probe: () => Promise<T> | T,
  options: { timeoutMs?: number; what?: string } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let lastError = '';
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      lastError = `: ${String(error)}`;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${options.what ?? 'condition'}${lastError}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
