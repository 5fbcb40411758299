import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { ChannelCredentials, type Server } from '@grpc/grpc-js';
import {
  callUnary,
  createClient,
  createMetrics,
  DomainError,
  serverStream,
  startGrpcServer,
  stopGrpcServer,
  unary,
} from '@tracking/kit';
import {
  AuditServiceClient,
  AuditServiceService,
  type AuditServiceServer,
} from '@tracking/proto/tracking/audit/v1/audit';
import { captureLogger } from '@tracking/testing';
import { listQuery } from '@tracking/testing/platform';

// Certificates made for this test with openssl: our CA, a server and a client certificate it
// signed, and a second CA with a client certificate of its own (someone else's mesh).
function makeCertificates(dir: string) {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  writeFileSync(path.join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const ca of ['ca', 'rogue-ca']) {
    openssl(
      'req',
      '-x509',
      ...ec,
      '-keyout',
      `${ca}.key`,
      '-out',
      `${ca}.crt`,
      '-days',
      '1',
      '-subj',
      `/CN=${ca}`,
    );
  }
  const issue = (name: string, ca: string, ext: string) => {
    openssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${ca}.crt`,
      '-CAkey',
      `${ca}.key`,
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '1',
      '-extfile',
      ext,
    );
  };
  issue('server', 'ca', 'server.ext');
  issue('client', 'ca', 'client.ext');
  issue('rogue-client', 'rogue-ca', 'client.ext');
  const file = (name: string) => path.join(dir, name);
  return {
    server: { caFile: file('ca.crt'), certFile: file('server.crt'), keyFile: file('server.key') },
    client: { caFile: file('ca.crt'), certFile: file('client.crt'), keyFile: file('client.key') },
    rogue: { caFile: file('ca.crt'), certFile: file('rogue-client.crt'), keyFile: file('rogue-client.key') },
  };
}

describe('gRPC between services with mutual TLS', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mtls-'));
  const certs = makeCertificates(dir);
  const { log } = captureLogger('mtls-test');
  const metrics = createMetrics();
  // A stand-in server: only the transport is under test here, not the audit service.
  const implementation: AuditServiceServer = {
    listEntries: unary('tracking.audit.v1.AuditService/ListEntries', { log, metrics }, () =>
      Promise.resolve({ entries: [], nextPageToken: 'served' }),
    ),
    exportEntries: serverStream('tracking.audit.v1.AuditService/ExportEntries', { log, metrics }, () =>
      Promise.reject(new DomainError('failed_precondition', 'not served by this stand-in')),
    ),
    verifyChain: unary('tracking.audit.v1.AuditService/VerifyChain', { log, metrics }, () =>
      Promise.reject(new DomainError('failed_precondition', 'not served by this stand-in')),
    ),
    eraseSubject: unary('tracking.audit.v1.AuditService/EraseSubject', { log, metrics }, () =>
      Promise.reject(new DomainError('failed_precondition', 'not served by this stand-in')),
    ),
  };
  let server: Server | undefined;
  let address = '';

  beforeAll(async () => {
    const started = await startGrpcServer({
      host: '127.0.0.1',
      port: 0,
      tls: certs.server,
      services: [[AuditServiceService, implementation]],
    });
    server = started.server;
    address = `127.0.0.1:${started.port}`;
  });

  afterAll(async () => {
    if (server) await stopGrpcServer(server, 1_000);
    rmSync(dir, { recursive: true, force: true });
  });

  const ask = async (tls: Parameters<typeof createClient>[2]['tls']) => {
    const client = createClient(AuditServiceClient, address, { tls, deadlineMs: 2_000 });
    try {
      return await callUnary(client.listEntries.bind(client), listQuery({ pageSize: 1 }));
    } finally {
      client.close();
    }
  };

  test('a client presenting a certificate signed by our CA is served', async () => {
    await expect(ask(certs.client)).resolves.toMatchObject({ nextPageToken: 'served' });
  });

  test('a client whose certificate another CA signed is refused', async () => {
    await expect(ask(certs.rogue)).rejects.toMatchObject({ code: 'unavailable' });
  });

  test('a TLS client that trusts our CA but presents no certificate of its own is refused', async () => {
    const client = new AuditServiceClient(
      address,
      ChannelCredentials.createSsl(readFileSync(certs.client.caFile)),
    );
    try {
      await expect(
        callUnary(client.listEntries.bind(client), listQuery({ pageSize: 1 })),
      ).rejects.toMatchObject({ code: 'unavailable' });
    } finally {
      client.close();
    }
  });

  test('a plaintext client is refused', async () => {
    await expect(ask({})).rejects.toMatchObject({ code: 'unavailable' });
  });
});
