import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { createMetrics, createPool, runWithContext } from '@tracking/kit';
import { captureLogger, createTestDatabase, randomName, type TestDatabase } from '@tracking/testing';
import { generate } from 'otplib';
import type pg from 'pg';

import { policyOf, readConfig } from '../src/config';
import { createPrisma } from '../src/db';
import type { Deps } from '../src/deps';
import { login } from '../src/login';
import { FileMailer, type Mail } from '../src/mail';
import { authSecurityEvents, createAuthMetrics } from '../src/metrics';
import type { Role } from '../src/rbac';
import { validateSession, type ValidSession } from '../src/sessions';
import { registerUser } from '../src/users';

const MIGRATIONS = path.join(__dirname, '..', 'migrations');

/** A clock the test moves by hand: expiry and throttling are proven without sleeping. */
export class TestClock {
  constructor(private now = new Date('2026-11-22T10:00:00.000Z')) {}
  readonly read = () => new Date(this.now);
  advance(ms: number): void {
    this.now = new Date(this.now.getTime() + ms);
  }
}

export interface AuthFixture {
  db: TestDatabase;
  deps: Deps;
  clock: TestClock;
  owner: pg.Pool;
  mailFile: string;
  lines: () => Record<string, unknown>[];
  /** Mail delivered so far by the real file mailer. */
  mails(): Promise<(Mail & { sentAt: string })[]>;
  close(): Promise<void>;
}

/** A real auth database with the service's domain code wired to a hand-moved clock and a real file mailer. */
export async function authFixture(): Promise<AuthFixture> {
  const db = await createTestDatabase(MIGRATIONS);
  const clock = new TestClock();
  const mailFile = path.join(tmpdir(), randomName('mail-'), 'auth.jsonl');
  const config = readConfig({
    DATABASE_URL: db.appUrl,
    KAFKA_BROKERS: '127.0.0.1:1',
    MAIL_DROP_FILE: mailFile,
    ENCRYPTION_KEYS: `test-1:${randomBytes(32).toString('base64')}`,
    ENCRYPTION_ACTIVE_KEY_ID: 'test-1',
  });
  const { log, lines } = captureLogger('auth');
  const metrics = createAuthMetrics(createMetrics());
  const deps: Deps = {
    prisma: createPrisma(db.appUrl),
    keyring: config.keyring,
    mailer: new FileMailer(mailFile),
    clock: clock.read,
    log,
    metrics,
    security: authSecurityEvents(log, metrics),
    policy: policyOf(config),
  };
  const owner = createPool(db.migratorUrl, { max: 2 });
  return {
    db,
    deps,
    clock,
    owner,
    mailFile,
    lines,
    async mails() {
      const text = await readFile(mailFile, 'utf8').catch(() => '');
      return text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Mail & { sentAt: string });
    },
    async close() {
      await deps.prisma.$disconnect();
      await owner.end();
      await db.drop();
      await rm(path.dirname(mailFile), { recursive: true, force: true });
    },
  };
}

/**
 * One fixture per describe block: made in beforeAll, closed in afterAll. Returns its accessor,
 * which fails loudly if beforeAll did not get as far as making it.
 */
export function useAuthFixture(): () => AuthFixture {
  let fixture: AuthFixture | undefined;
  beforeAll(async () => {
    fixture = await authFixture();
  });
  afterAll(async () => {
    await fixture?.close();
  });
  return () => {
    if (!fixture) throw new Error('the auth fixture was not set up');
    return fixture;
  };
}

export const PASSWORD = 'correct horse battery staple';

let counter = 0;
/** Registers an account through the domain code and returns its email and id. */
export async function newUser(
  fixture: AuthFixture,
  role: Role = 'client',
  password = PASSWORD,
): Promise<{ id: string; email: string; password: string }> {
  counter += 1;
  const email = `user${counter}-${randomName('')}@example.test`;
  const user = await registerUser(fixture.deps, { email, password, displayName: `User ${counter}` }, role);
  return { id: user.id, email, password };
}

/** Runs a call as the gateway would: in a request context with the end user's address. */
export function fromAddress<T>(clientIp: string, fn: () => Promise<T>): Promise<T> {
  return runWithContext({ correlationId: randomName('corr-'), clientIp, userAgent: 'jest' }, fn);
}

/** Signs in as a user from a given source address and returns the validated session. */
export async function signIn(
  fixture: AuthFixture,
  user: { email: string; password: string },
  clientIp = '198.51.100.7',
): Promise<{ token: string; session: ValidSession }> {
  const result = await fromAddress(clientIp, () =>
    login(fixture.deps, { email: user.email, password: user.password }),
  );
  return { token: result.session.token, session: await validateSession(fixture.deps, result.session.token) };
}

/** The TOTP code an authenticator app would show for `secret` at the fixture clock's time. */
export function codeAt(fixture: AuthFixture, secret: string, offsetSteps = 0): Promise<string> {
  return generate({ secret, epoch: Math.floor(fixture.deps.clock().getTime() / 1000) + offsetSteps * 30 });
}

export function secretOf(otpauthUri: string): string {
  const secret = new URL(otpauthUri).searchParams.get('secret');
  if (!secret) throw new Error('otpauth URI without a secret');
  return secret;
}

/** Outbox rows of one event type for a subject, as the relay would publish them. */
export async function eventsOf(fixture: AuthFixture, type: string, subjectId?: string) {
  const { rows } = await fixture.owner.query<{ topic: string; payload: { data: Record<string, unknown> } }>(
    `SELECT topic, payload FROM outbox WHERE payload->>'type' = $1 AND ($2::text IS NULL OR message_key = $2) ORDER BY id`,
    [type, subjectId ?? null],
  );
  return rows;
}
