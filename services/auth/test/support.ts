import { randomBytes } from 'node:crypto';
import path from 'node:path';

import {
  NOTIFICATION_REQUESTED,
  TOPICS,
  type NotificationRequested,
  type NotificationTemplate,
} from '@tracking/contracts';
import { createMetrics, createPool, runWithContext } from '@tracking/kit';
import { captureLogger, createTestDatabase, randomName, type TestDatabase } from '@tracking/testing';
import { generate } from 'otplib';
import type pg from 'pg';

import { policyOf, readConfig } from '../src/config';
import { createPrisma } from '../src/db';
import type { Deps } from '../src/deps';
import { login } from '../src/login';
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
  lines: () => Record<string, unknown>[];
  close(): Promise<void>;
}

/** A real auth database with the service's domain code wired to a hand-moved clock. */
export async function authFixture(): Promise<AuthFixture> {
  const db = await createTestDatabase(MIGRATIONS);
  const clock = new TestClock();
  const config = readConfig({
    DATABASE_URL: db.appUrl,
    KAFKA_BROKERS: '127.0.0.1:1',
    ENCRYPTION_KEYS: `test-1:${randomBytes(32).toString('base64')}`,
    ENCRYPTION_ACTIVE_KEY_ID: 'test-1',
  });
  const { log, lines } = captureLogger('auth');
  const metrics = createAuthMetrics(createMetrics());
  const deps: Deps = {
    prisma: createPrisma(db.appUrl),
    keyring: config.keyring,
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
    lines,
    async close() {
      await deps.prisma.$disconnect();
      await owner.end();
      await db.drop();
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

/**
 * The mail auth has asked for so far: the `notification.requested` events in its outbox, in
 * order, as the notifications service will receive them. Filtered by template and by recipient
 * (an address, or a user id).
 */
export async function notifications(
  fixture: AuthFixture,
  filter: { template?: NotificationTemplate; to?: string } = {},
): Promise<NotificationRequested[]> {
  const { rows } = await fixture.owner.query<{ payload: { type: string; data: NotificationRequested } }>(
    `SELECT payload FROM outbox WHERE topic = $1 ORDER BY id`,
    [TOPICS.notificationsRequested],
  );
  return rows
    .filter((row) => row.payload.type === NOTIFICATION_REQUESTED)
    .map((row) => row.payload.data)
    .filter((body) => !filter.template || body.template === filter.template)
    .filter((body) => {
      if (!filter.to) return true;
      const recipient = body.recipient;
      return 'email' in recipient ? recipient.email === filter.to : recipient.userId === filter.to;
    });
}

/** The single-use token in the newest mail of a template to a recipient ('' if there is none). */
export async function tokenMailed(
  fixture: AuthFixture,
  template: NotificationTemplate,
  to: string,
): Promise<string> {
  const body = (await notifications(fixture, { template, to })).at(-1);
  const url = Object.values(body?.params ?? {}).find(
    (value): value is string => typeof value === 'string' && value.includes('#token='),
  );
  return /#token=([A-Za-z0-9_-]{43})$/.exec(url ?? '')?.[1] ?? '';
}
