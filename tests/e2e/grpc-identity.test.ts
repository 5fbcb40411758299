import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { ChannelCredentials, Client, Metadata, status } from '@grpc/grpc-js';
import {
  allowedCallers,
  createTestPki,
  freePort,
  grpcServiceEnv,
  startProcess,
  waitFor,
  type ComponentTls,
  type ManagedProcess,
  type TestPki,
} from '@tracking/testing';
import { jsonLines, startPlatform, writePrincipalKeys, type Platform } from '@tracking/testing/platform';

import { createBackupHarness, ROOT, type BackupHarness } from './backup-support';

/**
 * Inside the cluster nothing is trusted for where it calls from (#24): every gRPC server of the
 * platform admits a call only over mutual TLS from a certificate of the platform's CA whose
 * identity (spiffe://tracking/<component>) the chart's call graph lists among its callers. Each
 * refusal is the refusing service's to tell: a `grpc.refused` security event carrying the
 * caller's correlation id, and grpc_refused_total on its /metrics.
 */

/** One method of each server, called with an empty (all-defaults) message. */
const METHOD: Record<string, string> = {
  auth: '/tracking.auth.v1.AuthService/GetMe',
  audit: '/tracking.audit.v1.AuditService/ListEntries',
  tracking: '/tracking.tracking.v1.TrackingService/ListMeals',
  'ai-inference': '/tracking.ai.v1.AiInferenceService/EstimateMeal',
  billing: '/tracking.billing.v1.BillingService/GetSubscription',
  privacy: '/tracking.privacy.v1.PrivacyService/ListRequests',
  backup: '/tracking.backup.v1.BackupService/ListBackups',
};

/** For each server, a component with a valid certificate that the call graph does not let call it. */
const OUTSIDER: Record<string, string> = {
  auth: 'billing',
  audit: 'tracking',
  tracking: 'web',
  'ai-inference': 'tracking',
  billing: 'auth',
  privacy: 'billing',
  backup: 'audit',
};

interface Server {
  address: string;
  ops: string;
  logFile: string;
}

describe('every gRPC server admits only the callers the call graph gives it', () => {
  let pki: TestPki | undefined;
  let rogue: TestPki | undefined;
  let platform: Platform | undefined;
  let harness: BackupHarness | undefined;
  let backup: ManagedProcess | undefined;
  const servers: Record<string, Server> = {};

  beforeAll(async () => {
    [pki, rogue] = await Promise.all([createTestPki(), createTestPki()]);
    const started = await startPlatform({ pki: pki.dir, billing: true, privacy: true, notifications: false });
    platform = started;
    const ops = platform.opsUrls;
    const logFile = (service: string) => started.logFile(service);
    Object.assign(servers, {
      auth: { address: platform.authGrpc, ops: ops.auth, logFile: logFile('auth') },
      audit: { address: platform.auditGrpc, ops: ops.audit, logFile: logFile('audit') },
      tracking: { address: platform.trackingGrpc, ops: ops.tracking, logFile: logFile('tracking') },
      'ai-inference': {
        address: platform.aiGrpc,
        ops: ops['ai-inference'],
        logFile: logFile('ai-inference'),
      },
      privacy: { address: platform.privacy.grpc, ops: ops.privacy, logFile: logFile('privacy') },
    });
    if (platform.billing) {
      servers.billing = {
        address: platform.billing.grpc,
        ops: ops.billing ?? '',
        logFile: logFile('billing'),
      };
    }

    // The backup service, which the platform does not run, on the platform's databases and PKI.
    harness = await createBackupHarness();
    await harness.setSources(Object.values(platform.databases).map((db) => db.database));
    const [backupGrpc, backupOps] = await Promise.all([freePort(), freePort()]);
    const backupLog = path.join(harness.dir, 'backup.log');
    backup = await startProcess({
      name: 'backup',
      entry: path.join(ROOT, 'services', 'backup', 'src', 'main.ts'),
      env: {
        ...harness.env,
        ...grpcServiceEnv('backup', pki.dir),
        KAFKA_TOPIC_PREFIX: platform.topicPrefix,
        GRPC_PORT: String(backupGrpc),
        OPS_PORT: String(backupOps),
        LOG_FILE: backupLog,
        BACKUP_AUDIT_DATABASE: platform.databases.audit?.database ?? 'audit',
        PRINCIPAL_PUBLIC_KEY_FILES: (await writePrincipalKeys(path.join(harness.dir, 'principal')))
          .publicKeyFile,
      },
      readyUrl: `http://127.0.0.1:${String(backupOps)}/readyz`,
    });
    servers.backup = {
      address: `127.0.0.1:${String(backupGrpc)}`,
      ops: `http://127.0.0.1:${String(backupOps)}`,
      logFile: backupLog,
    };
  });

  afterAll(async () => {
    const codes = [...(backup ? [await backup.stop()] : []), ...((await platform?.stop()) ?? [])];
    await harness?.cleanup();
    await Promise.all([pki?.remove(), rogue?.remove()]);
    expect(codes).toEqual(codes.map(() => 0));
  });

  const setup = () => {
    if (!pki || !rogue) throw new Error('the platform was not started');
    return { pki, rogue };
  };

  /** One call of the server's METHOD with these credentials; resolves with its status code and correlation id. */
  function call(
    server: string,
    credentials: ChannelCredentials,
  ): Promise<{ code: number; details: string; correlationId: string }> {
    const target = servers[server];
    if (!target) throw new Error(`${server} is not running`);
    const client = new Client(target.address, credentials);
    const correlationId = randomUUID();
    const metadata = new Metadata();
    metadata.set('x-correlation-id', correlationId);
    return new Promise((resolve) => {
      client.makeUnaryRequest(
        METHOD[server] ?? '',
        (message: Buffer) => message,
        (message: Buffer) => message,
        Buffer.alloc(0),
        metadata,
        { deadline: Date.now() + 15_000 },
        (error) => {
          client.close();
          resolve({ code: error?.code ?? status.OK, details: error?.details ?? '', correlationId });
        },
      );
    });
  }

  const trusting = (ca: string, tls?: ComponentTls) =>
    readFile(ca).then(async (caPem) =>
      tls
        ? ChannelCredentials.createSsl(caPem, await readFile(tls.keyFile), await readFile(tls.certFile))
        : ChannelCredentials.createSsl(caPem),
    );

  /** A counter's value on the service's /metrics, summed over the series whose labels include `labels`. */
  async function counter(server: string, name: string, labels: string): Promise<number> {
    const text = await (await fetch(`${servers[server]?.ops ?? ''}/metrics`)).text();
    return text
      .split('\n')
      .filter((line) => line.startsWith(`${name}{`) && line.includes(labels))
      .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
  }

  const refusals = async (server: string) =>
    (await jsonLines(servers[server]?.logFile ?? '')).filter((line) => line.event === 'grpc.refused');

  test.each(Object.keys(METHOD))(
    "%s refuses no certificate, another CA and an expired one (UNAUTHENTICATED) and a component the call graph does not allow (PERMISSION_DENIED), logged with the caller's correlation id and counted; its allowed callers get through",
    async (server) => {
      const { pki, rogue } = setup();
      const ca = path.join(pki.dir, 'ca.crt');
      const callers = allowedCallers(server);
      expect(callers).not.toContain(OUTSIDER[server]);
      const unauthenticated = [
        await call(server, await trusting(ca)),
        await call(server, await trusting(ca, await pki.issue('gateway', { ca: rogue }))),
        await call(server, await trusting(ca, await pki.issue('gateway', { days: -1 }))),
      ];
      const outsider = await call(server, await trusting(ca, await pki.issue(OUTSIDER[server] ?? '')));
      const allowed = await Promise.all(
        callers.map(async (caller) => call(server, await trusting(ca, await pki.issue(caller)))),
      );

      const refusedAs = (outcome: { code: number; details: string }) =>
        /client certificate|may not call this service/.test(outcome.details) ? outcome.code : 'not refused';
      expect(unauthenticated.map(refusedAs)).toEqual([
        status.UNAUTHENTICATED,
        status.UNAUTHENTICATED,
        status.UNAUTHENTICATED,
      ]);
      expect(refusedAs(outsider)).toBe(status.PERMISSION_DENIED);
      expect(outsider.details).toContain(`spiffe://tracking/${OUTSIDER[server] ?? ''}`);
      // The allowed callers pass the check and reach the service, which answers an empty request
      // with its own status (most want a signed principal): none of them is refused.
      expect(allowed.map(refusedAs)).toEqual(callers.map(() => 'not refused'));

      const logged = await waitFor(async () => {
        const lines = await refusals(server);
        return lines.length >= 4 ? lines : undefined;
      });
      for (const { correlationId } of unauthenticated) {
        expect(logged).toContainEqual(
          expect.objectContaining({
            correlation_id: correlationId,
            reason: 'client_certificate_invalid',
            caller: 'none',
            security: true,
          }),
        );
      }
      expect(logged).toContainEqual(
        expect.objectContaining({
          correlation_id: outsider.correlationId,
          reason: 'caller_not_allowed',
          caller: OUTSIDER[server],
          method: METHOD[server],
        }),
      );
      const allowedIds = new Set(allowed.map(({ correlationId }) => correlationId));
      expect(logged.filter((line) => allowedIds.has(String(line.correlation_id)))).toEqual([]);
      expect(await counter(server, 'grpc_refused_total', 'reason="client_certificate_invalid"')).toBe(3);
      expect(await counter(server, 'grpc_refused_total', 'reason="caller_not_allowed"')).toBe(1);
    },
  );
});
