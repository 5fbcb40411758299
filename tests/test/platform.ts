import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { createKafka, createLogger, ensureTopics, readTopicsManifest } from '@tracking/kit';
import {
  createTestDatabase,
  infraEnv,
  randomName,
  startProcess,
  type ManagedProcess,
  type TestDatabase,
} from '@tracking/kit/testing';
import { ListEntriesRequest } from '@tracking/proto/tracking/audit/v1/audit';

const ROOT = path.resolve(__dirname, '..', '..');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function jsonLines(file: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** A ListEntries request with every field at its proto default (no filter) but those given. */
export function listQuery(fields: Partial<ListEntriesRequest> = {}): ListEntriesRequest {
  return { ...ListEntriesRequest.decode(new Uint8Array()), ...fields };
}

export interface Platform {
  /** Base URL of the gateway's API, e.g. http://127.0.0.1:1234/api/v1 */
  api: string;
  authGrpc: string;
  auditGrpc: string;
  authDb: TestDatabase;
  topicPrefix: string;
  logFile(service: string): string;
  /** The auth service's local mail drop (JSON lines). */
  mailFile: string;
  /** SIGTERM every service, drop the databases; resolves with each service's exit code. */
  stop(): Promise<(number | null)[]>;
}

/**
 * The real auth, audit and gateway processes on their own databases and topic prefix, on the
 * real PostgreSQL and Kafka the infra script started: what the local stack runs, in isolation.
 */
export async function startPlatform(
  options: { env?: Record<string, string>; authEnv?: Record<string, string> } = {},
) {
  const { brokers } = infraEnv();
  const topicPrefix = `${randomName()}.`;
  const dir = path.join(tmpdir(), randomName('platform-'));
  const logFile = (service: string) => path.join(dir, `${service}.log`);
  const mailFile = path.join(dir, 'mail', 'auth.jsonl');
  const processes: ManagedProcess[] = [];
  const [authDb, auditDb] = await Promise.all([
    createTestDatabase(path.join(ROOT, 'services', 'auth', 'migrations')),
    createTestDatabase(path.join(ROOT, 'services', 'audit', 'migrations')),
  ]);
  const stop = async () => {
    const codes = await Promise.all(processes.map((process) => process.stop()));
    await Promise.all([authDb.drop(), auditDb.drop()]);
    await rm(dir, { recursive: true, force: true });
    return codes;
  };
  try {
    const kafka = createKafka({
      clientId: 'platform-test',
      brokers,
      log: createLogger({ service: 'test', level: 'warn' }),
    });
    await ensureTopics(kafka, readTopicsManifest(path.join(ROOT, 'k8s', 'topics.json')), topicPrefix);
    const [authGrpc, authOps, auditGrpc, auditOps, http, gatewayOps] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    const start = async (name: string, opsPort: number, env: Record<string, string>) => {
      const started = await startProcess({
        name,
        entry: path.join(ROOT, 'services', name, 'src', 'main.ts'),
        env: {
          KAFKA_BROKERS: brokers.join(','),
          KAFKA_TOPIC_PREFIX: topicPrefix,
          LOG_LEVEL: 'debug',
          LOG_FILE: logFile(name),
          OTEL_SDK_DISABLED: 'true',
          ...options.env,
          OPS_PORT: String(opsPort),
          ...env,
        },
        readyUrl: `http://127.0.0.1:${opsPort}/readyz`,
      });
      processes.push(started);
      return started;
    };
    const key = (id: string) => ({
      ENCRYPTION_KEYS: `${id}:${randomBytes(32).toString('base64')}`,
      ENCRYPTION_ACTIVE_KEY_ID: id,
    });
    await Promise.all([
      start('auth', authOps, {
        GRPC_PORT: String(authGrpc),
        DATABASE_URL: authDb.appUrl,
        MAIL_DROP_FILE: mailFile,
        ...key('auth-1'),
        ...options.authEnv,
      }),
      start('audit', auditOps, {
        GRPC_PORT: String(auditGrpc),
        AUTH_GRPC_ADDR: `127.0.0.1:${authGrpc}`,
        DATABASE_URL: auditDb.appUrl,
        ...key('audit-1'),
      }),
    ]);
    await start('gateway', gatewayOps, {
      HTTP_PORT: String(http),
      AUTH_GRPC_ADDR: `127.0.0.1:${authGrpc}`,
      AUDIT_GRPC_ADDR: `127.0.0.1:${auditGrpc}`,
    });
    return {
      api: `http://127.0.0.1:${http}/api/v1`,
      authGrpc: `127.0.0.1:${authGrpc}`,
      auditGrpc: `127.0.0.1:${auditGrpc}`,
      authDb,
      topicPrefix,
      logFile,
      mailFile,
      stop,
    } satisfies Platform;
  } catch (error) {
    await stop();
    throw error;
  }
}
