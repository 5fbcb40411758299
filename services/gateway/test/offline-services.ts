import { generateKeyPairSync } from 'node:crypto';
import type { AddressInfo } from 'node:net';

import type { ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import {
  closeServer,
  createClient,
  createPrincipalSigner,
  DomainError,
  listen,
  SESSION_TOKEN_HEADER,
  startGrpcServer,
  stopGrpcServer,
  unary,
  type Logger,
  type Metrics,
  type PrincipalSigner,
} from '@tracking/kit';
import { AiInferenceServiceClient } from '@tracking/proto/tracking/ai/v1/ai';
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
import { BackupServiceClient } from '@tracking/proto/tracking/backup/v1/backup';
import { BillingServiceClient } from '@tracking/proto/tracking/billing/v1/billing';
import { PrivacyServiceClient } from '@tracking/proto/tracking/privacy/v1/privacy';
import { TrackingServiceClient } from '@tracking/proto/tracking/tracking/v1/tracking';

import { createApp } from '../src/app';
import type { GatewayDeps } from '../src/deps';
import { testEdge } from './edge-support';

/**
 * The gateway's dependencies on the services behind it, for tests of the gateway alone: a client
 * pointed where nothing listens, and a signer with a throwaway key.
 */
export async function offlineTracking(): Promise<{
  tracking: TrackingServiceClient;
  ai: AiInferenceServiceClient;
  billing: BillingServiceClient;
  backup: BackupServiceClient;
  privacy: PrivacyServiceClient;
  principals: PrincipalSigner;
}> {
  const { privateKey } = generateKeyPairSync('ed25519');
  return {
    tracking: createClient(TrackingServiceClient, '127.0.0.1:1', { tls: {}, deadlineMs: 500 }),
    ai: createClient(AiInferenceServiceClient, '127.0.0.1:1', { tls: {}, deadlineMs: 500 }),
    billing: createClient(BillingServiceClient, '127.0.0.1:1', { tls: {}, deadlineMs: 500 }),
    backup: createClient(BackupServiceClient, '127.0.0.1:1', { tls: {}, deadlineMs: 500 }),
    privacy: createClient(PrivacyServiceClient, '127.0.0.1:1', { tls: {}, deadlineMs: 500 }),
    principals: await createPrincipalSigner(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()),
  };
}

/** The admin every stand-in auth signs in (startStandInGateway). */
export const STAND_IN_ADMIN_ID = '5d1f6a0e-8c3b-4f0a-9a4e-2b7d6c5e4f31';

/** A service implementation with only the handlers given; any other call fails as unused. */
export function standIn<S extends object>(
  implemented: Partial<S>,
  deps: { log: Logger; metrics: Metrics },
): S {
  return new Proxy(implemented, {
    get: (target, name: string) =>
      target[name as keyof S] ?? unary(`t/${name}`, deps, () => Promise.reject(new Error('unused'))),
  }) as S;
}

/** The clients of the stand-in services a test gives the gateway instead of the offline ones. */
type StandInClients = Partial<Pick<GatewayDeps, 'tracking' | 'ai' | 'billing' | 'backup' | 'privacy'>>;

export interface StandInGateway {
  /** Where the gateway listens, e.g. http://127.0.0.1:41234. */
  url: string;
  /** The permissions the gateway asked Authorize for, in order; a test clears it as it needs. */
  asked: string[];
  stop(): Promise<void>;
}

/**
 * The gateway in process for the admin routes' tests: one gRPC server with a stand-in auth whose
 * Authorize answers by session token ('trainer-token': permission_denied; 'no-mfa-token':
 * mfa_required; any other: STAND_IN_ADMIN_ID, an admin with a verified second factor) and the
 * test's own stand-in services, whose clients `clients` makes for the server's address. Every
 * other service is pointed where nothing listens.
 */
export async function startStandInGateway(options: {
  log: Logger;
  metrics: Metrics;
  services: [ServiceDefinition, UntypedServiceImplementation][];
  clients: (address: string) => StandInClients;
}): Promise<StandInGateway> {
  const { log, metrics } = options;
  const asked: string[] = [];
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
        userId: STAND_IN_ADMIN_ID,
        role: Role.ROLE_ADMIN,
        sessionId: '7e2a9c14-3b6d-4e8f-a1c0-9d8e7f6a5b41',
        mfa: MfaState.MFA_STATE_VERIFIED,
        verifiedEmail: 'admin@example.test',
        plan: 'free',
      });
    },
  );
  const started = await startGrpcServer({
    host: '127.0.0.1',
    port: 0,
    tls: {},
    services: [
      [AuthServiceService, standIn<AuthServiceServer>({ authorize }, { log, metrics })],
      ...options.services,
    ],
  });
  const address = `127.0.0.1:${String(started.port)}`;
  const auth = createClient(AuthServiceClient, address, { tls: {} });
  const audit = createClient(AuditServiceClient, '127.0.0.1:1', { tls: {}, deadlineMs: 500 });
  const offline = await offlineTracking();
  const standIns = options.clients(address);
  const http = await listen(
    createApp({
      auth,
      audit,
      ...offline,
      ...standIns,
      log,
      metrics,
      trustedProxies: ['127.0.0.1'],
      longCallDeadlineMs: 10_000,
      edge: await testEdge(),
    }),
    '127.0.0.1',
    0,
  );
  return {
    url: `http://127.0.0.1:${String((http.address() as AddressInfo).port)}`,
    asked,
    async stop() {
      for (const client of [auth, audit, ...Object.values(standIns)]) client.close();
      await closeServer(http);
      await stopGrpcServer(started.server, 1_000);
    },
  };
}
