import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Writable } from 'node:stream';

import {
  createKafka,
  createLogger,
  dropDatabase,
  ensureTopics,
  migrate,
  provisionDatabase,
  readTopicsManifest,
  type Logger,
  type ProvisionedDatabase,
} from '@tracking/kit';

import { REPO_ROOT } from './repo';

export * from './alert-receiver';
export * from './edge';
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
export function infraEnv(): { adminUrl: string; brokers: string[] } {
  const adminUrl = process.env.PG_ADMIN_URL;
  const brokers = process.env.KAFKA_BROKERS;
  if (!adminUrl || !brokers) {
    throw new Error(
      'PG_ADMIN_URL and KAFKA_BROKERS are not set: start the infrastructure with `npm run infra up`',
    );
  }
  return { adminUrl, brokers: brokers.split(',') };
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
    brokers: infraEnv().brokers,
    log: createLogger({ service: 'test', level: 'warn' }),
  });
  await ensureTopics(kafka, readTopicsManifest(TOPICS_MANIFEST), prefix);
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
