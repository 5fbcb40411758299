import type { Server } from '@grpc/grpc-js';
import {
  createClient,
  createMetrics,
  DomainError,
  serverStream,
  startGrpcServer,
  stopGrpcServer,
  StreamCancelledError,
  streamMessages,
  unary,
} from '@tracking/kit';
import {
  AuditServiceClient,
  AuditServiceService,
  type AuditEntry,
  type AuditServiceServer,
  type ExportEntriesResponse,
} from '@tracking/proto/tracking/audit/v1/audit';
import { captureLogger, waitFor } from '@tracking/testing';

/**
 * The kit's server-streaming call (serverStream on the server, streamMessages on the client),
 * over a real gRPC connection, with a stand-in for the audit service's ExportEntries: what the
 * audit export relies on for back-pressure, errors and cancellation.
 */
describe('a gRPC server stream', () => {
  const { log } = captureLogger('stream-test');
  const metrics = createMetrics();
  const deps = { log, metrics };
  const entry = (sequence: number): AuditEntry => ({
    ...({} as AuditEntry),
    sequence: String(sequence),
    userAgent: 'x'.repeat(16_000),
  });
  /** What the stand-in does for each export, chosen by the request's action field. */
  const progress = { sent: 0, cancelled: false };
  const behaviours: Record<
    string,
    (send: (message: ExportEntriesResponse) => Promise<void>) => Promise<void>
  > = {
    many: async (send) => {
      for (let page = 1; page <= 2_000; page += 1) {
        await send({ entries: [entry(page)] });
        progress.sent = page;
      }
    },
    refuse: () => Promise.reject(new DomainError('mfa_required', 'enrol first', { next: 'enrol_totp' })),
    'fail.midway': async (send) => {
      await send({ entries: [entry(1)] });
      await send({ entries: [entry(2)] });
      throw new Error('database went away');
    },
    endless: async (send) => {
      try {
        for (let page = 1; ; page += 1) {
          await send({ entries: [entry(page)] });
          progress.sent = page;
        }
      } catch (error) {
        progress.cancelled = error instanceof StreamCancelledError;
        throw error;
      }
    },
  };
  const implementation: AuditServiceServer = {
    listEntries: unary('t/ListEntries', deps, () => Promise.reject(new Error('unused'))),
    verifyChain: unary('t/VerifyChain', deps, () => Promise.reject(new Error('unused'))),
    eraseSubject: unary('t/EraseSubject', deps, () => Promise.reject(new Error('unused'))),
    exportEntries: serverStream('t/ExportEntries', deps, async (request, send) => {
      const behaviour = behaviours[request.action];
      if (!behaviour) throw new Error('no such behaviour');
      await behaviour(send);
    }),
  };
  let server: Server | undefined;
  let client: AuditServiceClient | undefined;
  const exportOf = (action: string) => {
    if (!client) throw new Error('not started');
    progress.sent = 0;
    progress.cancelled = false;
    return streamMessages(
      client.exportEntries({
        action,
        actorUserId: '',
        correlationId: '',
        subjectType: '',
        subjectId: '',
        outcome: '',
        occurredFrom: undefined,
        occurredTo: undefined,
      }),
    );
  };

  beforeAll(async () => {
    const started = await startGrpcServer({
      host: '127.0.0.1',
      port: 0,
      tls: {},
      services: [[AuditServiceService, implementation]],
    });
    server = started.server;
    client = createClient(AuditServiceClient, `127.0.0.1:${String(started.port)}`, {
      tls: {},
      deadlineMs: 60_000,
    });
  });

  afterAll(async () => {
    client?.close();
    if (server) await stopGrpcServer(server, 1_000);
  });

  test('a slow reader holds the producer back instead of letting it buffer everything', async () => {
    let received = 0;
    let furthestAhead = 0;
    for await (const message of exportOf('many')) {
      received += 1;
      expect(message.entries[0]?.sequence).toBe(String(received));
      furthestAhead = Math.max(furthestAhead, progress.sent - received);
      if (received % 100 === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(received).toBe(2_000);
    // 2,000 messages of 16 kB: without back-pressure the producer would finish at once.
    expect(furthestAhead).toBeLessThan(200);
  });

  test('a refusal before the first message reaches the caller as its domain error, with details', async () => {
    await expect(exportOf('refuse').next()).rejects.toMatchObject({
      code: 'mfa_required',
      message: 'enrol first',
      details: { next: 'enrol_totp' },
    });
  });

  test('a failure mid-stream ends it with an error after the messages already sent, never a clean end', async () => {
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const message of exportOf('fail.midway')) seen.push(message.entries[0]?.sequence ?? '');
      })(),
    ).rejects.toMatchObject({ code: 'internal', message: 'internal error' });
    expect(seen).toEqual(['1', '2']);
  });

  test('a reader that stops early cancels the call, and the producer stops', async () => {
    for await (const message of exportOf('endless')) {
      if (message.entries[0]?.sequence === '5') break;
    }
    await waitFor(() => progress.cancelled || undefined, { what: 'the producer to see the cancellation' });
    const stoppedAt = progress.sent;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(progress.sent).toBe(stoppedAt);
  });
});
