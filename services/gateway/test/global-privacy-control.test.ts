import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { Server as GrpcServer } from '@grpc/grpc-js';
import {
  closeServer,
  createClient,
  createMetrics,
  listen,
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
  type AuthServiceServer,
  type GetMeResponse,
  type SetPreferencesRequest,
  type SetPreferencesResponse,
} from '@tracking/proto/tracking/auth/v1/auth';
import { captureLogger } from '@tracking/testing';

import { createApp } from '../src/app';
import { offlineTracking } from './offline-services';
import { testEdge, viaIngress } from './edge-support';

// Sec-GPC (#22) in process, against a stand-in auth that keeps one account's preferences: what
// the gateway asks auth to record when a signed-in browser sends Global Privacy Control.
describe('Global Privacy Control through the gateway', () => {
  const { log } = captureLogger('gateway');
  const metrics = createMetrics();
  const recorded: SetPreferencesRequest[] = [];
  let optedOut = false;
  const me = (): GetMeResponse => ({
    userId: '0b7c3a52-0f0e-4c56-9a57-4d7c0f6f1a11',
    email: 'ann@example.test',
    displayName: 'Ann',
    role: Role.ROLE_CLIENT,
    emailVerified: true,
    mfaEnabled: false,
    mfaRequired: false,
    sessionMfa: MfaState.MFA_STATE_NOT_ENROLLED,
    recoveryCodesLeft: 0,
    newDeviceAlerts: true,
    saleSharingOptOut: optedOut,
  });
  const getMe = unary<object, GetMeResponse>('t/GetMe', { log, metrics }, () => Promise.resolve(me()));
  const setPreferences = unary<SetPreferencesRequest, SetPreferencesResponse>(
    't/SetPreferences',
    { log, metrics },
    (request) => {
      recorded.push(request);
      if (request.saleSharingOptOut !== undefined) optedOut = request.saleSharingOptOut;
      return Promise.resolve({ newDeviceAlerts: true, saleSharingOptOut: optedOut });
    },
  );
  const implemented: Partial<AuthServiceServer> = { getMe, setPreferences };
  const standIn = new Proxy(implemented, {
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

  beforeEach(() => {
    recorded.length = 0;
    optedOut = false;
  });

  const get = async (path: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`http://127.0.0.1:${String((http?.address() as AddressInfo).port)}${path}`, {
      headers: { authorization: 'Bearer client-token', ...viaIngress(), ...headers },
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  test('a signed-in browser sending Sec-GPC: 1 has the opt-out recorded as the browser’s signal, and sees it', async () => {
    expect(await get('/api/v1/me', { 'sec-gpc': '1' })).toMatchObject({
      status: 200,
      body: { email: 'ann@example.test', saleSharingOptOut: true },
    });
    expect(recorded).toEqual([{ saleSharingOptOut: true, globalPrivacyControl: true }]);

    // Recorded once: the next page load with the same signal asks auth for nothing more.
    expect((await get('/api/v1/me', { 'sec-gpc': '1' })).body).toMatchObject({ saleSharingOptOut: true });
    expect(recorded).toHaveLength(1);
  });

  test('the preferences read with the signal records it too', async () => {
    expect(await get('/api/v1/me/preferences', { 'sec-gpc': '1' })).toEqual({
      status: 200,
      body: { newDeviceAlerts: true, saleSharingOptOut: true },
    });
    expect(recorded).toEqual([{ saleSharingOptOut: true, globalPrivacyControl: true }]);
  });

  test('without the signal, or with any other value, nothing is recorded', async () => {
    expect((await get('/api/v1/me')).body).toMatchObject({ saleSharingOptOut: false });
    expect((await get('/api/v1/me', { 'sec-gpc': '0' })).body).toMatchObject({ saleSharingOptOut: false });
    expect((await get('/api/v1/me/preferences', { 'sec-gpc': 'yes' })).body).toEqual({
      newDeviceAlerts: true,
      saleSharingOptOut: false,
    });
    expect(recorded).toEqual([{ globalPrivacyControl: false }]);
  });
});
