import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { credentials, Metadata } from '@grpc/grpc-js';
import {
  callUnary,
  createMetrics,
  createPool,
  SERVICE_TOKEN_HEADER,
  startGrpcServer,
  stopGrpcServer,
  UpstreamError,
} from '@tracking/kit';
import { ContactServiceClient, ContactServiceService } from '@tracking/proto/tracking/auth/v1/contacts';
import { captureLogger, createTestDatabase, type TestDatabase } from '@tracking/testing';

import { contactService, readContactLookupToken } from '../src/contacts';
import { createPrisma, type PrismaClient } from '../src/db';
import { createAuthMetrics } from '../src/metrics';

const MIGRATIONS = path.join(__dirname, '..', 'migrations');
const TOKEN = 'notifications-service-credential-0123456789abcdef';

describe('GetContact: a user id to an address, for the notifications service only', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let dir: string;
  let server: Awaited<ReturnType<typeof startGrpcServer>>;
  let client: ContactServiceClient;
  const userId = randomUUID();

  beforeAll(async () => {
    db = await createTestDatabase(MIGRATIONS);
    const owner = createPool(db.migratorUrl, { max: 1 });
    await owner.query(
      `INSERT INTO users (id, email, password_hash, display_name, role, email_verified_at)
       VALUES ($1, 'aroha@example.net', '$argon2id$v=19$m=19456,t=2,p=1$x$y', 'Aroha', 'trainer', now())`,
      [userId],
    );
    await owner.end();
    dir = await mkdtemp(path.join(tmpdir(), 'contact-token-'));
    await writeFile(path.join(dir, 'token'), `${TOKEN}\n`, { mode: 0o600 });
    prisma = createPrisma(db.appUrl);
    const deps = { prisma, log: captureLogger('auth').log, metrics: createAuthMetrics(createMetrics()) };
    server = await startGrpcServer({
      host: '127.0.0.1',
      port: 0,
      tls: {},
      services: [
        [ContactServiceService, contactService(deps, readContactLookupToken(path.join(dir, 'token')))],
      ],
    });
    client = new ContactServiceClient(`127.0.0.1:${String(server.port)}`, credentials.createInsecure());
  });

  afterAll(async () => {
    client.close();
    await stopGrpcServer(server.server, 1_000);
    await prisma.$disconnect();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  const withToken = (token: string) => {
    const metadata = new Metadata();
    metadata.set(SERVICE_TOKEN_HEADER, token);
    return metadata;
  };
  const getContact = (id: string, metadata = new Metadata()) =>
    callUnary(client.getContact.bind(client), { userId: id }, metadata);

  test('the notifications service gets the address, name and verification state', async () => {
    await expect(getContact(userId, withToken(TOKEN))).resolves.toEqual({
      userId,
      email: 'aroha@example.net',
      displayName: 'Aroha',
      emailVerified: true,
    });
  });

  test('a caller without the credential, or with a wrong one, is refused and learns nothing', async () => {
    for (const metadata of [new Metadata(), withToken(`${TOKEN}x`), withToken('')]) {
      const error = await getContact(userId, metadata).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(UpstreamError);
      expect((error as UpstreamError).code).toBe('permission_denied');
    }
  });

  test('an unknown or erased account is NOT_FOUND, which the notifications service records and drops', async () => {
    const error = await getContact(randomUUID(), withToken(TOKEN)).catch((caught: unknown) => caught);
    expect((error as UpstreamError).code).toBe('not_found');
  });

  test('an auth deployed without the credential file refuses every caller (fail closed)', async () => {
    const deps = { prisma, log: captureLogger('auth').log, metrics: createAuthMetrics(createMetrics()) };
    const bare = await startGrpcServer({
      host: '127.0.0.1',
      port: 0,
      tls: {},
      services: [[ContactServiceService, contactService(deps, readContactLookupToken(undefined))]],
    });
    const bareClient = new ContactServiceClient(
      `127.0.0.1:${String(bare.port)}`,
      credentials.createInsecure(),
    );
    try {
      const error = await callUnary(
        bareClient.getContact.bind(bareClient),
        { userId },
        withToken(TOKEN),
      ).catch((caught: unknown) => caught);
      expect((error as UpstreamError).code).toBe('permission_denied');
    } finally {
      bareClient.close();
      await stopGrpcServer(bare.server, 1_000);
    }
  });
});
