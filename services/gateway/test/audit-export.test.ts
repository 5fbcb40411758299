import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { Server as GrpcServer } from '@grpc/grpc-js';
import {
  closeServer,
  createClient,
  createMetrics,
  DomainError,
  listen,
  serverStream,
  SESSION_TOKEN_HEADER,
  startGrpcServer,
  stopGrpcServer,
  StreamCancelledError,
  unary,
  UnauthenticatedError,
} from '@tracking/kit';
import {
  AuditServiceClient,
  AuditServiceService,
  type AuditEntry,
  type AuditServiceServer,
} from '@tracking/proto/tracking/audit/v1/audit';
import { AuthServiceClient } from '@tracking/proto/tracking/auth/v1/auth';
import { captureLogger, waitFor } from '@tracking/testing';

import { createApp } from '../src/app';
import { offlineTracking } from './offline-services';
import { testEdge, viaIngress } from './edge-support';

// The gateway's export route in process, against a stand-in audit service that fails part way:
// what a caller downloading an export sees when the audit service dies mid-stream.
describe('an audit export through the gateway', () => {
  const { log, lines } = captureLogger('gateway');
  const metrics = createMetrics();
  const entry = (sequence: number): AuditEntry => ({
    ...({} as AuditEntry),
    sequence: String(sequence),
    action: 'auth.login.succeeded',
    subjectType: 'user',
    subjectId: 'someone',
    hash: 'a'.repeat(64),
  });
  /** Set when the endless export sees the gateway cancel it. */
  let endlessStopped = false;
  const standIn: AuditServiceServer = {
    listEntries: unary('t/ListEntries', { log, metrics }, () => Promise.reject(new Error('unused'))),
    verifyChain: unary('t/VerifyChain', { log, metrics }, () => Promise.reject(new Error('unused'))),
    eraseSubject: unary('t/EraseSubject', { log, metrics }, () => Promise.reject(new Error('unused'))),
    exportEntries: serverStream('t/ExportEntries', { log, metrics }, async (request, send, call) => {
      // The stand-in only checks that the session token came along.
      if (call.metadata.get(SESSION_TOKEN_HEADER)[0] !== 'valid-token')
        throw new UnauthenticatedError('sign in first');
      await send({ entries: [] });
      if (request.action === 'endless') {
        try {
          for (let page = 0; ; page += 1) {
            await send({ entries: Array.from({ length: 100 }, (_, index) => entry(page * 100 + index + 1)) });
          }
        } catch (error) {
          endlessStopped = error instanceof StreamCancelledError;
          throw error;
        }
      }
      await send({ entries: Array.from({ length: 200 }, (_, index) => entry(index + 1)) });
      throw new DomainError('unavailable', 'the database went away');
    }),
  };
  let grpc: GrpcServer | undefined;
  let http: Server | undefined;
  let audit: AuditServiceClient | undefined;
  const auth = createClient(AuthServiceClient, '127.0.0.1:1', { tls: {}, deadlineMs: 500 });

  beforeAll(async () => {
    const started = await startGrpcServer({
      host: '127.0.0.1',
      port: 0,
      tls: {},
      services: [[AuditServiceService, standIn]],
    });
    grpc = started.server;
    audit = createClient(AuditServiceClient, `127.0.0.1:${String(started.port)}`, { tls: {} });
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
    auth.close();
    audit?.close();
    if (http) await closeServer(http);
    if (grpc) await stopGrpcServer(grpc, 1_000);
  });

  const download = (format: string, token: string, query = '', signal?: AbortSignal) =>
    fetch(
      `http://127.0.0.1:${String((http?.address() as AddressInfo).port)}/api/v1/admin/audit/export?format=${format}${query}`,
      { headers: { authorization: `Bearer ${token}`, ...viaIngress() }, signal },
    );

  test.each(['csv', 'json'])(
    'a %s export cut off by a failure is a failed download, never a file that looks complete',
    async (format) => {
      const response = await download(format, 'valid-token');
      expect(response.status).toBe(200);
      await expect(response.text()).rejects.toThrow();
      expect(lines().some((line) => line.msg === 'audit export aborted')).toBe(true);
    },
  );

  test('a client that leaves mid-download stops the export at the audit service, and is not logged as a failure', async () => {
    const abort = new AbortController();
    const response = await download('json', 'valid-token', '&action=endless', abort.signal);
    expect(response.status).toBe(200);
    const reader = response.body?.getReader();
    await reader?.read();
    abort.abort();
    await waitFor(() => endlessStopped || undefined, { what: 'the audit export to be cancelled' });
    await waitFor(
      () => lines().some((line) => line.msg === 'audit export abandoned by the client') || undefined,
      {
        what: 'the gateway to note the client left',
      },
    );
  });

  test('a refusal before the first entry is a problem response with its status', async () => {
    const response = await download('csv', 'wrong-token');
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await response.json()).toMatchObject({ code: 'unauthenticated' });
  });
});
