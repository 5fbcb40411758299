import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { Server as GrpcServer } from '@grpc/grpc-js';
import {
  closeServer,
  createClient,
  createMetrics,
  DomainError,
  listen,
  PRINCIPAL_HEADER,
  SESSION_TOKEN_HEADER,
  startGrpcServer,
  stopGrpcServer,
  unary,
} from '@tracking/kit';
import { AuditServiceClient } from '@tracking/proto/tracking/audit/v1/audit';
import {
  AuthServiceClient,
  AuthServiceService,
  MfaState,
  Role,
  type AuthorizeRequest,
  type AuthorizeResponse,
  type AuthServiceServer,
} from '@tracking/proto/tracking/auth/v1/auth';
import {
  BillingServiceClient,
  BillingServiceService,
  type BillingServiceServer,
  type GetUserSubscriptionRequest,
  type GetUserSubscriptionResponse,
} from '@tracking/proto/tracking/billing/v1/billing';
import { captureLogger } from '@tracking/testing';

import { createApp } from '../src/app';
import { offlineTracking } from './offline-services';
import { testEdge, viaIngress } from './edge-support';

// GET /admin/users/{userId}/subscription in process (#23), against a stand-in auth that answers
// Authorize and a stand-in billing that answers GetUserSubscription: the permission the gateway
// asks for, what it forwards with a signed principal, what the console receives, and refusals.
describe('a user’s subscription for an admin through the gateway', () => {
  const { log } = captureLogger('gateway');
  const metrics = createMetrics();
  const asked: string[] = [];
  const principals: string[] = [];
  const forwarded: GetUserSubscriptionRequest[] = [];
  const adminId = '5d1f6a0e-8c3b-4f0a-9a4e-2b7d6c5e4f31';

  const standIn = <S extends object>(implemented: Partial<S>) =>
    new Proxy(implemented, {
      get: (target, name: string) =>
        target[name as keyof S] ??
        unary(`t/${name}`, { log, metrics }, () => Promise.reject(new Error('unused'))),
    }) as S;

  const authorize = unary<AuthorizeRequest, AuthorizeResponse>(
    't/Authorize',
    { log, metrics },
    (request, call) => {
      asked.push(request.permission);
      const token = call.metadata.get(SESSION_TOKEN_HEADER)[0];
      if (token === 'trainer-token') throw new DomainError('permission_denied', 'not allowed');
      if (token === 'no-mfa-token')
        throw new DomainError('mfa_required', 'enrol first', { next: 'enrol_totp' });
      return Promise.resolve({
        userId: adminId,
        role: Role.ROLE_ADMIN,
        sessionId: '7e2a9c14-3b6d-4e8f-a1c0-9d8e7f6a5b41',
        mfa: MfaState.MFA_STATE_VERIFIED,
        verifiedEmail: 'admin@example.test',
        plan: 'free',
      });
    },
  );
  const getUserSubscription = unary<GetUserSubscriptionRequest, GetUserSubscriptionResponse>(
    't/GetUserSubscription',
    { log, metrics },
    (request, call) => {
      forwarded.push(request);
      principals.push(String(call.metadata.get(PRINCIPAL_HEADER)[0] ?? ''));
      return Promise.resolve({
        subscription: {
          plan: 'pro',
          subscribedPlan: 'pro',
          status: 'past_due',
          currentPeriodEnd: '2026-12-31T00:00:00.000Z',
          cancelAtPeriodEnd: false,
          graceEndsAt: '2026-12-10T00:00:00.000Z',
          notice: 'The last payment failed.',
          limits: { clientsPerTrainer: 0, aiReviewsPerWeek: 7, aiEstimatesPerDay: 50 },
        },
      });
    },
  );

  let grpc: GrpcServer | undefined;
  let http: Server | undefined;
  let auth: AuthServiceClient | undefined;
  let billing: BillingServiceClient | undefined;
  const audit = createClient(AuditServiceClient, '127.0.0.1:1', { tls: {}, deadlineMs: 500 });

  beforeAll(async () => {
    const started = await startGrpcServer({
      host: '127.0.0.1',
      port: 0,
      tls: {},
      services: [
        [AuthServiceService, standIn<AuthServiceServer>({ authorize })],
        [BillingServiceService, standIn<BillingServiceServer>({ getUserSubscription })],
      ],
    });
    grpc = started.server;
    const address = `127.0.0.1:${String(started.port)}`;
    auth = createClient(AuthServiceClient, address, { tls: {} });
    billing = createClient(BillingServiceClient, address, { tls: {} });
    http = await listen(
      createApp({
        auth,
        audit,
        ...(await offlineTracking()),
        billing,
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
    billing?.close();
    audit.close();
    if (http) await closeServer(http);
    if (grpc) await stopGrpcServer(grpc, 1_000);
  });

  beforeEach(() => {
    asked.length = 0;
    principals.length = 0;
    forwarded.length = 0;
  });

  const userId = '0b7c3a52-0f0e-4c56-9a57-4d7c0f6f1a11';
  const read = async (token: string, id = userId) => {
    const response = await fetch(
      `http://127.0.0.1:${String((http?.address() as AddressInfo).port)}/api/v1/admin/users/${id}/subscription`,
      { headers: { authorization: `Bearer ${token}`, ...viaIngress() } },
    );
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  test('an admin gets the user’s plan and subscription as billing has it', async () => {
    expect(await read('admin-token')).toEqual({
      status: 200,
      body: {
        plan: 'pro',
        subscribedPlan: 'pro',
        status: 'past_due',
        currentPeriodEnd: '2026-12-31T00:00:00.000Z',
        cancelAtPeriodEnd: false,
        graceEndsAt: '2026-12-10T00:00:00.000Z',
        notice: 'The last payment failed.',
        limits: { clientsPerTrainer: 0, aiReviewsPerWeek: 7, aiEstimatesPerDay: 50 },
      },
    });
    // Its own admin-only permission, the user named, and a signed principal for billing.
    expect(asked).toEqual(['billing.read']);
    expect(forwarded).toEqual([{ userId }]);
    expect(principals[0]?.split('.')).toHaveLength(3);
  });

  test('a user id that is not a uuid is a 400 that asks nobody', async () => {
    expect((await read('admin-token', 'ann')).status).toBe(400);
    expect(asked).toEqual([]);
    expect(forwarded).toEqual([]);
  });

  test('a trainer gets 403 and an admin without MFA 403 mfa_required; billing is never asked', async () => {
    expect(await read('trainer-token')).toMatchObject({ status: 403, body: { code: 'permission_denied' } });
    expect(await read('no-mfa-token')).toMatchObject({
      status: 403,
      body: { code: 'mfa_required', errors: { next: 'enrol_totp' } },
    });
    expect(forwarded).toEqual([]);
  });
});
