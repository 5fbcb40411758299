import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { Metadata, Server as GrpcServer } from '@grpc/grpc-js';
import {
  closeServer,
  createClient,
  createMetrics,
  DomainError,
  listen,
  PRINCIPAL_HEADER,
  SESSION_TOKEN_HEADER,
  serverStream,
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
  type ConfirmIdentityRequest,
  type ConfirmIdentityResponse,
  type FindUsersRequest,
  type FindUsersResponse,
} from '@tracking/proto/tracking/auth/v1/auth';
import {
  PrivacyServiceClient,
  PrivacyServiceService,
  type PrivacyRequest,
  type PrivacyServiceServer,
} from '@tracking/proto/tracking/privacy/v1/privacy';
import { captureLogger } from '@tracking/testing';

import { createApp } from '../src/app';
import type { Budget } from '../src/deps';
import { offlineTracking } from './offline-services';
import { testEdge, viaIngress } from './edge-support';

// The privacy routes in process (#22), against a stand-in auth (Authorize, ConfirmIdentity) and a
// stand-in privacy service: the re-entered password is checked before privacy hears of anything,
// a second request returns the open one, the ZIP is an attachment nobody caches, another
// person's or an expired export is a 404, and the admin routes are the admin's alone.
describe('data exports and account deletion through the gateway', () => {
  const { log } = captureLogger('gateway');
  const metrics = createMetrics();
  const ids = {
    client: '2b4e6f80-1a3c-4d5e-8f70-9a1b2c3d4e5f',
    admin: '5d1f6a0e-8c3b-4f0a-9a4e-2b7d6c5e4f31',
    other: '7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d',
    export: '0f1e2d3c-4b5a-4697-8a8b-9c0d1e2f3a4b',
    expired: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
    building: '3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f',
    erasure: '9e8d7c6b-5a49-4382-a716-05f4e3d2c1b0',
  };
  /** What auth was asked (permissions, purposes), and every call that reached privacy. */
  const asked: string[] = [];
  const confirmed: string[] = [];
  const reachedPrivacy: string[] = [];
  const principals: string[] = [];
  const spent: { budget: Budget; route: string }[] = [];
  let exportOpen = false;
  let erasure: PrivacyRequest | undefined;
  const zip = Buffer.concat([Buffer.from('PK\u0003\u0004'), Buffer.alloc(70_000, 7)]);

  const request = (fields: Partial<PrivacyRequest>): PrivacyRequest => ({
    requestId: ids.export,
    kind: 'export',
    subjectId: ids.client,
    requestedBy: ids.client,
    state: 'collecting',
    requestedAt: new Date('2026-12-06T09:00:00.000Z'),
    scheduledFor: undefined,
    finishedAt: undefined,
    expiresAt: undefined,
    dueAt: new Date('2027-01-06T09:00:00.000Z'),
    steps: [
      {
        service: 'auth',
        state: 'completed',
        finishedAt: new Date('2026-12-06T09:00:02.000Z'),
        counts: { sessions: '3' },
        failure: '',
      },
      { service: 'tracking', state: 'pending', finishedAt: undefined, counts: {}, failure: '' },
    ],
    sizeBytes: '0',
    failure: '',
    ...fields,
  });

  const standIn = <S extends object>(implemented: Partial<S>) =>
    new Proxy(implemented, {
      get: (target, name: string) =>
        target[name as keyof S] ??
        unary(`t/${name}`, { log, metrics }, () => Promise.reject(new Error('unused'))),
    }) as S;
  const deps = { log, metrics };
  const tokenOf = (call: { metadata: Metadata }) => String(call.metadata.get(SESSION_TOKEN_HEADER)[0] ?? '');
  const callerOf = (call: { metadata: Metadata }) => {
    principals.push(String(call.metadata.get(PRINCIPAL_HEADER)[0] ?? ''));
    return ids.client;
  };

  const auth = standIn<AuthServiceServer>({
    authorize: unary<AuthorizeRequest, AuthorizeResponse>('t/Authorize', deps, (req, call) => {
      asked.push(req.permission);
      const token = tokenOf(call);
      const admin = token === 'admin-token';
      if (req.permission === 'users.manage' && !admin)
        throw new DomainError('permission_denied', 'not allowed');
      return Promise.resolve({
        userId: admin ? ids.admin : ids.client,
        role: admin ? Role.ROLE_ADMIN : Role.ROLE_CLIENT,
        sessionId: '7e2a9c14-3b6d-4e8f-a1c0-9d8e7f6a5b41',
        mfa: admin ? MfaState.MFA_STATE_VERIFIED : MfaState.MFA_STATE_NOT_ENROLLED,
        verifiedEmail: 'someone@example.test',
        plan: 'free',
      });
    }),
    findUsers: unary<FindUsersRequest, FindUsersResponse>('t/FindUsers', deps, (req) => {
      asked.push(`findUsers:${req.query}`);
      if (req.query !== ids.other) return Promise.resolve({ users: [] });
      return Promise.resolve({
        users: [
          {
            userId: ids.other,
            email: 'other@example.test',
            displayName: 'Other',
            role: Role.ROLE_CLIENT,
            emailVerified: true,
            disabled: false,
            mfaEnabled: false,
            createdAt: new Date('2026-01-01T00:00:00.000Z'),
            plan: 'free',
          },
        ],
      });
    }),
    confirmIdentity: unary<ConfirmIdentityRequest, ConfirmIdentityResponse>(
      't/ConfirmIdentity',
      deps,
      (req, call) => {
        confirmed.push(req.purpose);
        if (tokenOf(call) !== 'client-token' || req.currentPassword !== 'correct horse battery')
          throw new DomainError('unauthenticated', 'the current password is incorrect');
        return Promise.resolve({ mfaChecked: false });
      },
    ),
  });

  const privacy = standIn<PrivacyServiceServer>({
    requestExport: unary('t/RequestExport', deps, (req, call) => {
      reachedPrivacy.push('requestExport');
      callerOf(call);
      const existing = exportOpen;
      exportOpen = true;
      const subjectId = req.subjectId || ids.client;
      return Promise.resolve({
        request: request({ subjectId, requestedBy: req.subjectId ? ids.admin : ids.client }),
        existing,
      });
    }),
    getExport: unary('t/GetExport', deps, (req) => {
      reachedPrivacy.push('getExport');
      if (req.requestId === ids.export)
        return Promise.resolve({
          request: request({
            state: 'ready',
            sizeBytes: String(zip.length),
            expiresAt: new Date('2026-12-13T09:05:00.000Z'),
          }),
        });
      if (req.requestId === ids.expired)
        return Promise.resolve({ request: request({ requestId: ids.expired, state: 'expired' }) });
      if (req.requestId === ids.building)
        return Promise.resolve({ request: request({ requestId: ids.building, state: 'assembling' }) });
      // Another person's export and one that never existed answer the same.
      throw new DomainError('not_found', 'no such export');
    }),
    downloadExport: serverStream('t/DownloadExport', deps, async (req, send) => {
      reachedPrivacy.push('downloadExport');
      await send({
        fileName: 'tracking-export-2026-12-06.zip',
        sizeBytes: String(zip.length),
        data: zip.subarray(0, 40_000),
      });
      await send({ fileName: '', sizeBytes: '0', data: zip.subarray(40_000) });
    }),
    requestErasure: unary('t/RequestErasure', deps, (req, call) => {
      reachedPrivacy.push(`requestErasure:${req.reason}`);
      callerOf(call);
      const existing = erasure !== undefined;
      erasure ??= request({
        requestId: ids.erasure,
        kind: 'erasure',
        state: 'scheduled',
        subjectId: req.subjectId || ids.client,
        requestedBy: req.subjectId ? ids.admin : ids.client,
        scheduledFor: new Date('2026-12-13T09:00:00.000Z'),
      });
      return Promise.resolve({ request: erasure, existing });
    }),
    getErasure: unary('t/GetErasure', deps, () => {
      reachedPrivacy.push('getErasure');
      return Promise.resolve({ request: erasure });
    }),
    cancelErasure: unary('t/CancelErasure', deps, (req) => {
      reachedPrivacy.push(`cancelErasure:${req.requestId}`);
      if (erasure?.state === 'erasing') throw new DomainError('failed_precondition', 'the erasure has begun');
      erasure = {
        ...request({ ...erasure, state: 'cancelled', finishedAt: new Date('2026-12-07T10:00:00.000Z') }),
      };
      return Promise.resolve({ request: erasure });
    }),
    listRequests: unary('t/ListRequests', deps, (req, call) => {
      reachedPrivacy.push(
        `listRequests:${req.kind}:${req.state}:${req.subjectId}:${String(req.limit)}${req.own ? ':own' : ''}`,
      );
      if (req.own) {
        callerOf(call);
        const ready = request({
          state: 'ready',
          sizeBytes: String(zip.length),
          finishedAt: new Date('2026-12-06T09:05:00.000Z'),
          expiresAt: new Date('2026-12-13T09:05:00.000Z'),
        });
        const older = request({ requestId: ids.expired, state: 'expired' });
        return Promise.resolve({
          requests: [ready, older].slice(0, req.limit),
          nextCursor: '',
          openCount: 0,
          oldestOpenAgeSeconds: '0',
        });
      }
      return Promise.resolve({
        requests: [request({ requestedBy: ids.admin })],
        nextCursor: 'page-2',
        openCount: 1,
        oldestOpenAgeSeconds: '86400',
      });
    }),
  });

  let grpc: GrpcServer | undefined;
  let http: Server | undefined;
  let authClient: AuthServiceClient | undefined;
  let privacyClient: PrivacyServiceClient | undefined;
  const audit = createClient(AuditServiceClient, '127.0.0.1:1', { tls: {}, deadlineMs: 500 });

  beforeAll(async () => {
    const started = await startGrpcServer({
      host: '127.0.0.1',
      port: 0,
      tls: {},
      services: [
        [AuthServiceService, auth],
        [PrivacyServiceService, privacy],
      ],
    });
    grpc = started.server;
    const address = `127.0.0.1:${String(started.port)}`;
    authClient = createClient(AuthServiceClient, address, { tls: {} });
    privacyClient = createClient(PrivacyServiceClient, address, { tls: {} });
    http = await listen(
      createApp({
        auth: authClient,
        audit,
        ...(await offlineTracking()),
        privacy: privacyClient,
        rateLimits: {
          consume: (budget, _key, route) => {
            spent.push({ budget, route });
            return Promise.resolve();
          },
        },
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
    authClient?.close();
    privacyClient?.close();
    audit.close();
    if (http) await closeServer(http);
    if (grpc) await stopGrpcServer(grpc, 1_000);
  });

  beforeEach(() => {
    for (const list of [asked, confirmed, reachedPrivacy, principals, spent]) list.length = 0;
    exportOpen = false;
    erasure = undefined;
  });

  const call = async (method: string, path: string, token: string, body?: unknown) => {
    const response = await fetch(
      `http://127.0.0.1:${String((http?.address() as AddressInfo).port)}/api/v1${path}`,
      {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...viaIngress(),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      },
    );
    const type = response.headers.get('content-type') ?? '';
    return {
      status: response.status,
      headers: response.headers,
      body: type.includes('json')
        ? ((await response.json()) as Record<string, unknown>)
        : Buffer.from(await response.arrayBuffer()),
    };
  };
  const password = { currentPassword: 'correct horse battery' };

  test('an export starts only after auth has confirmed the password; a second request returns the open one', async () => {
    const first = await call('POST', '/me/data-exports', 'client-token', password);
    expect(first).toMatchObject({
      status: 202,
      body: {
        id: ids.export,
        kind: 'export',
        state: 'collecting',
        byAdmin: false,
        requestedAt: '2026-12-06T09:00:00.000Z',
        dueAt: '2027-01-06T09:00:00.000Z',
        expiresAt: null,
        sizeBytes: null,
        steps: [
          {
            service: 'auth',
            state: 'completed',
            finishedAt: '2026-12-06T09:00:02.000Z',
            counts: { sessions: 3 },
            failure: null,
          },
          { service: 'tracking', state: 'pending', finishedAt: null, counts: {}, failure: null },
        ],
      },
    });
    // Never the admin's or the subject's ids in the person's own view.
    expect(first.body).not.toHaveProperty('requestedBy');
    expect(asked).toEqual(['account.manage']);
    expect(confirmed).toEqual(['data_export']);
    expect(principals[0]?.split('.')).toHaveLength(3);
    // A re-entered password is a credential check: the sign-in budget, not the everyday one.
    expect(spent).toContainEqual({ budget: 'auth', route: '/api/v1/me/data-exports' });
    expect(spent).not.toContainEqual({ budget: 'ip', route: '/api/v1/me/data-exports' });

    const again = await call('POST', '/me/data-exports', 'client-token', password);
    expect(again).toMatchObject({ status: 200, body: { id: ids.export } });
  });

  test('a wrong password is a 401 and the privacy service never hears of the request', async () => {
    expect(
      await call('POST', '/me/data-exports', 'client-token', { currentPassword: 'guess' }),
    ).toMatchObject({
      status: 401,
      body: { code: 'unauthenticated' },
    });
    expect(
      await call('POST', '/me/account-deletion', 'client-token', { currentPassword: 'guess' }),
    ).toMatchObject({
      status: 401,
    });
    expect(confirmed).toEqual(['data_export', 'account_deletion']);
    expect(reachedPrivacy).toEqual([]);
  });

  test('the ready export downloads as an uncached attachment once the password is re-entered', async () => {
    const status = await call('GET', `/me/data-exports/${ids.export}`, 'client-token');
    expect(status).toMatchObject({
      status: 200,
      body: { state: 'ready', sizeBytes: zip.length, expiresAt: '2026-12-13T09:05:00.000Z' },
    });

    const download = await call('POST', `/me/data-exports/${ids.export}/download`, 'client-token', password);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('application/zip');
    expect(download.headers.get('content-disposition')).toMatch(
      /^attachment; filename="?tracking-export-2026-12-06\.zip"?$/,
    );
    expect(download.headers.get('cache-control')).toBe('no-store');
    expect(download.headers.get('content-length')).toBe(String(zip.length));
    expect(Buffer.compare(download.body as Buffer, zip)).toBe(0);
    expect(confirmed).toEqual(['data_export_download']);
    expect(spent).toContainEqual({ budget: 'auth', route: '/api/v1/me/data-exports/{requestId}/download' });
  });

  test('no file without the password, and another person’s, an expired or an unfinished export is never sent', async () => {
    expect(
      await call('POST', `/me/data-exports/${ids.export}/download`, 'client-token', {
        currentPassword: 'guess',
      }),
    ).toMatchObject({ status: 401 });
    expect(
      await call('POST', `/me/data-exports/${ids.other}/download`, 'client-token', password),
    ).toMatchObject({
      status: 404,
      body: { code: 'not_found' },
    });
    expect(await call('GET', `/me/data-exports/${ids.other}`, 'client-token')).toMatchObject({ status: 404 });
    expect(
      await call('POST', `/me/data-exports/${ids.expired}/download`, 'client-token', password),
    ).toMatchObject({
      status: 404,
      body: { code: 'not_found' },
    });
    expect(
      await call('POST', `/me/data-exports/${ids.building}/download`, 'client-token', password),
    ).toMatchObject({
      status: 412,
      body: { code: 'failed_precondition' },
    });
    // Only the first attempt got as far as the password; none reached the file.
    expect(confirmed).toEqual(['data_export_download']);
    expect(reachedPrivacy).not.toContain('downloadExport');
  });

  test('a deletion is scheduled after the cooling-off period, shown, and can be cancelled while it waits', async () => {
    expect(await call('GET', '/me/account-deletion', 'client-token')).toEqual(
      expect.objectContaining({ status: 200, body: { request: null } }),
    );
    const scheduled = await call('POST', '/me/account-deletion', 'client-token', password);
    expect(scheduled).toMatchObject({
      status: 202,
      body: {
        id: ids.erasure,
        kind: 'erasure',
        state: 'scheduled',
        scheduledFor: '2026-12-13T09:00:00.000Z',
      },
    });
    expect(confirmed).toEqual(['account_deletion']);
    expect(await call('POST', '/me/account-deletion', 'client-token', password)).toMatchObject({
      status: 200,
      body: { id: ids.erasure },
    });
    expect(await call('GET', '/me/account-deletion', 'client-token')).toMatchObject({
      status: 200,
      body: { request: { id: ids.erasure, state: 'scheduled' } },
    });
    expect(await call('DELETE', '/me/account-deletion', 'client-token')).toMatchObject({
      status: 200,
      body: { id: ids.erasure, state: 'cancelled' },
    });
    expect(reachedPrivacy).toContain(`cancelErasure:${ids.erasure}`);
    // Nothing scheduled any more: nothing to cancel.
    expect(await call('DELETE', '/me/account-deletion', 'client-token')).toMatchObject({ status: 404 });
  });

  test('a person who comes back finds their latest exports, newest first, without the mail link', async () => {
    const mine = await call('GET', '/me/data-exports', 'client-token');
    expect(mine).toMatchObject({
      status: 200,
      body: {
        requests: [
          {
            id: ids.export,
            state: 'ready',
            byAdmin: false,
            sizeBytes: zip.length,
            expiresAt: '2026-12-13T09:05:00.000Z',
          },
          { id: ids.expired, state: 'expired' },
        ],
      },
    });
    // Always the caller's own (even an admin's page), a small page, with a principal, no password.
    expect(reachedPrivacy).toEqual(['listRequests:export:::5:own']);
    expect(principals).toHaveLength(1);
    expect(asked).toEqual(['account.manage']);
    expect(confirmed).toEqual([]);
    expect(spent.map((entry) => entry.budget)).not.toContain('auth');

    expect(await call('GET', '/me/data-exports?limit=1', 'admin-token')).toMatchObject({
      status: 200,
      body: { requests: [{ id: ids.export }] },
    });
    expect(reachedPrivacy.at(-1)).toBe('listRequests:export:::1:own');
    for (const wrong of ['limit=0', 'limit=21', 'subject=' + ids.other]) {
      expect(await call('GET', `/me/data-exports?${wrong}`, 'client-token')).toMatchObject({ status: 400 });
    }
    expect(reachedPrivacy).toHaveLength(2);
  });

  test('once the erasure has begun it cannot be cancelled', async () => {
    await call('POST', '/me/account-deletion', 'client-token', password);
    if (erasure) erasure = { ...erasure, state: 'erasing' };
    expect(await call('DELETE', '/me/account-deletion', 'client-token')).toMatchObject({
      status: 412,
      body: { code: 'failed_precondition' },
    });
  });

  test('an admin lists the requests with their deadlines and starts both rights for a user, with a reason for deletion', async () => {
    const page = await call(
      'GET',
      `/admin/privacy-requests?kind=export&state=collecting&subject=${ids.client}&limit=20`,
      'admin-token',
    );
    expect(page).toMatchObject({
      status: 200,
      body: {
        requests: [
          {
            id: ids.export,
            subjectId: ids.client,
            requestedBy: ids.admin,
            dueAt: '2027-01-06T09:00:00.000Z',
          },
        ],
        nextCursor: 'page-2',
        openCount: 1,
        oldestOpenAgeSeconds: 86_400,
      },
    });
    expect(reachedPrivacy).toEqual([`listRequests:export:collecting:${ids.client}:20`]);
    expect(asked).toEqual(['users.manage']);

    expect(await call('POST', `/admin/users/${ids.other}/data-exports`, 'admin-token')).toMatchObject({
      status: 202,
      body: { subjectId: ids.other, requestedBy: ids.admin },
    });
    expect(
      await call('POST', `/admin/users/${ids.other}/account-deletion`, 'admin-token', {
        reason: 'too short',
      }),
    ).toMatchObject({
      status: 400,
    });
    expect(
      await call('POST', `/admin/users/${ids.other}/account-deletion`, 'admin-token', {
        reason: 'verified request by mail, ticket 1234',
      }),
    ).toMatchObject({ status: 202, body: { subjectId: ids.other, state: 'scheduled' } });
    expect(reachedPrivacy).toContain('requestErasure:verified request by mail, ticket 1234');
    // The account is looked up (an audited admin search) before anything is opened for it.
    expect(asked).toContain(`findUsers:${ids.other}`);
    // An admin acting for someone else is never asked for their own password.
    expect(confirmed).toEqual([]);
  });

  test('an admin naming an id with no account gets a 404, and no request is opened for nobody', async () => {
    expect(
      await call('POST', `/admin/users/${ids.client.replace(/.$/, '0')}/data-exports`, 'admin-token'),
    ).toMatchObject({
      status: 404,
      body: { code: 'not_found' },
    });
    expect(
      await call('POST', `/admin/users/${ids.client.replace(/.$/, '0')}/account-deletion`, 'admin-token', {
        reason: 'verified request by mail, ticket 1234',
      }),
    ).toMatchObject({ status: 404 });
    expect(reachedPrivacy).toEqual([]);
  });

  test('a reason must be written out: padding with spaces does not make it long enough', async () => {
    expect(
      await call('POST', `/admin/users/${ids.other}/account-deletion`, 'admin-token', {
        reason: '   ticket   ',
      }),
    ).toMatchObject({ status: 400, body: { code: 'invalid_argument' } });
    expect(reachedPrivacy).toEqual([]);
  });

  test('a client cannot use the admin routes, and privacy never hears of the attempt', async () => {
    expect(await call('GET', '/admin/privacy-requests', 'client-token')).toMatchObject({
      status: 403,
      body: { code: 'permission_denied' },
    });
    expect(
      await call('POST', `/admin/users/${ids.other}/account-deletion`, 'client-token', {
        reason: 'verified request by mail',
      }),
    ).toMatchObject({ status: 403 });
    expect(reachedPrivacy).toEqual([]);
  });
});
