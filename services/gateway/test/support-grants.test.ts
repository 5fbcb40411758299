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
  TrackingServiceClient,
  TrackingServiceService,
  type ListSupportGrantsResponse,
  type TrackingServiceServer,
} from '@tracking/proto/tracking/tracking/v1/tracking';
import { captureLogger } from '@tracking/testing';

import { createApp } from '../src/app';
import { offlineTracking } from './offline-services';
import { testEdge, viaIngress } from './edge-support';

// GET /admin/support-access in process (#23), against a stand-in auth that answers Authorize and
// a stand-in tracking that answers ListSupportGrants: the permission the gateway asks for, that
// tracking gets a signed principal, what the console receives, and how refusals arrive.
describe('an admin’s open support grants through the gateway', () => {
  const { log } = captureLogger('gateway');
  const metrics = createMetrics();
  const asked: string[] = [];
  const principals: string[] = [];
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
  const listSupportGrants = unary<object, ListSupportGrantsResponse>(
    't/ListSupportGrants',
    { log, metrics },
    (_request, call) => {
      principals.push(String(call.metadata.get(PRINCIPAL_HEADER)[0] ?? ''));
      return Promise.resolve({
        grants: [
          {
            grantId: '0c9e8d7f-6a5b-4c3d-8e1f-0a9b8c7d6e52',
            clientId: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c63',
            reason: 'ticket 45: a quick look',
            createdAt: new Date('2026-12-06T14:00:00.000Z'),
            expiresAt: new Date('2026-12-06T14:02:00.000Z'),
          },
        ],
      });
    },
  );

  let grpc: GrpcServer | undefined;
  let http: Server | undefined;
  let auth: AuthServiceClient | undefined;
  let tracking: TrackingServiceClient | undefined;
  const audit = createClient(AuditServiceClient, '127.0.0.1:1', { tls: {}, deadlineMs: 500 });

  beforeAll(async () => {
    const started = await startGrpcServer({
      host: '127.0.0.1',
      port: 0,
      tls: {},
      services: [
        [AuthServiceService, standIn<AuthServiceServer>({ authorize })],
        [TrackingServiceService, standIn<TrackingServiceServer>({ listSupportGrants })],
      ],
    });
    grpc = started.server;
    const address = `127.0.0.1:${String(started.port)}`;
    auth = createClient(AuthServiceClient, address, { tls: {} });
    tracking = createClient(TrackingServiceClient, address, { tls: {} });
    http = await listen(
      createApp({
        auth,
        audit,
        ...(await offlineTracking()),
        tracking,
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
    tracking?.close();
    audit.close();
    if (http) await closeServer(http);
    if (grpc) await stopGrpcServer(grpc, 1_000);
  });

  beforeEach(() => {
    asked.length = 0;
    principals.length = 0;
  });

  const list = async (token: string) => {
    const response = await fetch(
      `http://127.0.0.1:${String((http?.address() as AddressInfo).port)}/api/v1/admin/support-access`,
      { headers: { authorization: `Bearer ${token}`, ...viaIngress() } },
    );
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  test('an admin gets the grants tracking listed for them, with times as ISO strings', async () => {
    expect(await list('admin-token')).toEqual({
      status: 200,
      body: {
        items: [
          {
            grantId: '0c9e8d7f-6a5b-4c3d-8e1f-0a9b8c7d6e52',
            clientId: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c63',
            reason: 'ticket 45: a quick look',
            createdAt: '2026-12-06T14:00:00.000Z',
            expiresAt: '2026-12-06T14:02:00.000Z',
          },
        ],
      },
    });
    // Break-glass's own permission, and tracking is told who asks by a signed principal.
    expect(asked).toEqual(['tracking.support']);
    expect(principals).toHaveLength(1);
    expect(principals[0]?.split('.')).toHaveLength(3);
  });

  test('a trainer gets 403 and an admin without MFA 403 mfa_required; tracking is never asked', async () => {
    expect(await list('trainer-token')).toMatchObject({ status: 403, body: { code: 'permission_denied' } });
    expect(await list('no-mfa-token')).toMatchObject({
      status: 403,
      body: { code: 'mfa_required', errors: { next: 'enrol_totp' } },
    });
    expect(principals).toEqual([]);
  });
});
