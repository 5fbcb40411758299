import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { Server as GrpcServer } from '@grpc/grpc-js';
import {
  closeServer,
  createClient,
  createMetrics,
  DomainError,
  listen,
  SESSION_TOKEN_HEADER,
  startGrpcServer,
  stopGrpcServer,
  unary,
} from '@tracking/kit';
import { AuditServiceClient } from '@tracking/proto/tracking/audit/v1/audit';
import {
  AuthServiceClient,
  AuthServiceService,
  Role,
  type AuthServiceServer,
  type FindUsersRequest,
} from '@tracking/proto/tracking/auth/v1/auth';
import { captureLogger } from '@tracking/testing';

import { createApp } from '../src/app';
import { offlineTracking } from './offline-services';
import { testEdge, viaIngress } from './edge-support';

// GET /admin/users in process, against a stand-in auth that answers FindUsers: what the gateway
// checks itself, what it forwards, and how auth's refusals reach the admin console.
describe('finding users through the gateway', () => {
  const { log } = captureLogger('gateway');
  const metrics = createMetrics();
  const received: FindUsersRequest[] = [];
  const findUsers = unary<FindUsersRequest, { users: unknown[] }>(
    't/FindUsers',
    { log, metrics },
    (request, call) => {
      received.push(request);
      const token = call.metadata.get(SESSION_TOKEN_HEADER)[0];
      if (token === 'trainer-token') throw new DomainError('permission_denied', 'not allowed');
      if (token === 'no-mfa-token')
        throw new DomainError('mfa_required', 'enrol first', { next: 'enrol_totp' });
      return Promise.resolve({
        users: [
          {
            userId: '0b7c3a52-0f0e-4c56-9a57-4d7c0f6f1a11',
            email: 'ann@example.test',
            displayName: 'Ann',
            role: Role.ROLE_TRAINER,
            emailVerified: true,
            mfaEnabled: false,
            disabled: true,
            createdAt: new Date('2026-11-01T09:00:00.000Z'),
            plan: 'pro',
          },
        ],
      });
    },
  );
  const standIn = new Proxy({ findUsers } as Partial<AuthServiceServer>, {
    get: (target, name: string) =>
      target[name as keyof AuthServiceServer] ??
      unary(`t/${name}`, { log, metrics }, () => Promise.reject(new Error('unused'))),
  }) as AuthServiceServer;

  let grpc: GrpcServer | undefined;
  let http: Server | undefined;
  let auth: AuthServiceClient | undefined;
  const audit = createClient(AuditServiceClient, '127.0.0.1:1', { tls: {}, deadlineMs: 500 });

  beforeAll(async () => {
    const started = await startGrpcServer({
      host: '127.0.0.1',
      port: 0,
      tls: {},
      services: [[AuthServiceService, standIn]],
    });
    grpc = started.server;
    auth = createClient(AuthServiceClient, `127.0.0.1:${String(started.port)}`, { tls: {} });
    http = await listen(
      createApp({
        auth,
        audit,
        ...(await offlineTracking()),
        log,
        metrics,
        trustedProxies: ['127.0.0.1'],
        longCallDeadlineMs: 10_000,
        edge: await testEdge(),
      }),
      '127.0.0.1',
      0,
    );
  });

  afterAll(async () => {
    auth?.close();
    audit.close();
    if (http) await closeServer(http);
    if (grpc) await stopGrpcServer(grpc, 1_000);
  });

  const search = async (query: string, token = 'admin-token') => {
    const response = await fetch(
      `http://127.0.0.1:${String((http?.address() as AddressInfo).port)}/api/v1/admin/users?${query}`,
      { headers: { authorization: `Bearer ${token}`, ...viaIngress() } },
    );
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  test('an admin gets the accounts auth found, by name, with no field auth did not send', async () => {
    received.length = 0;
    const found = await search('q=%20Ann%40');
    expect(found).toEqual({
      status: 200,
      body: {
        items: [
          {
            userId: '0b7c3a52-0f0e-4c56-9a57-4d7c0f6f1a11',
            email: 'ann@example.test',
            displayName: 'Ann',
            role: 'trainer',
            emailVerified: true,
            mfaEnabled: false,
            disabled: true,
            plan: 'pro',
            createdAt: '2026-11-01T09:00:00.000Z',
          },
        ],
      },
    });
    // Trimmed, and the default page size.
    expect(received).toEqual([{ query: 'Ann@', limit: 20 }]);
  });

  test('a misspelt filter, a missing query or a limit over 50 is a 400 that never reaches auth', async () => {
    received.length = 0;
    expect((await search('email=ann')).status).toBe(400);
    expect((await search('')).status).toBe(400);
    expect((await search('q=ann&limit=51')).status).toBe(400);
    expect(received).toEqual([]);
  });

  test("auth's refusals reach the console as problems it can explain: 403 forbidden, 403 mfa_required with what to do next", async () => {
    expect(await search('q=ann', 'trainer-token')).toMatchObject({
      status: 403,
      body: { code: 'permission_denied' },
    });
    expect(await search('q=ann', 'no-mfa-token')).toMatchObject({
      status: 403,
      body: { code: 'mfa_required', errors: { next: 'enrol_totp' } },
    });
  });
});
