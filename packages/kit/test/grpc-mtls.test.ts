import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect } from 'node:tls';

import { ChannelCredentials, Metadata, type Client, type Server } from '@grpc/grpc-js';
import { captureLogger, waitFor } from '@tracking/testing';

import { CORRELATION_HEADER, newCorrelationId } from '../src/context';
import { callUnary, createClient, startGrpcServer, stopGrpcServer, unary, UpstreamError } from '../src/grpc';
import { componentOf, type TlsFiles } from '../src/grpc-tls';
import { createMetrics } from '../src/metrics';

import { whoAmIService } from './fixtures/json-service';

// A throwaway PKI made with openssl, laid out like the local one (scripts/pki.sh): the platform
// CA, component certificates with their SPIFFE ids, and the odd ones a refusal needs.
function makePki(dir: string) {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  for (const ca of ['ca', 'other-ca']) {
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
  let serial = 1000;
  /** `<name>.crt`/`.key` with these URI SANs (and localhost/127.0.0.1), signed by `ca`, valid `days`. */
  const issue = (
    name: string,
    uris: string[],
    options: { ca?: string; days?: number; dns?: string[] } = {},
  ) => {
    const sans = [...uris.map((uri) => `URI:${uri}`), ...(options.dns ?? ['DNS:localhost', 'IP:127.0.0.1'])];
    writeFileSync(
      path.join(dir, `${name}.ext`),
      `subjectAltName=${sans.join(',')}\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n`,
    );
    openssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    const ca = options.ca ?? 'ca';
    serial += 1;
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${ca}.crt`,
      '-CAkey',
      `${ca}.key`,
      '-set_serial',
      String(serial),
      '-out',
      `${name}.crt`,
      '-days',
      String(options.days ?? 1),
      '-extfile',
      `${name}.ext`,
    );
    return { caFile: file('ca.crt'), certFile: file(`${name}.crt`), keyFile: file(`${name}.key`) };
  };
  const file = (name: string) => path.join(dir, name);
  const id = (component: string) => `spiffe://tracking/${component}`;
  return {
    issue,
    id,
    /** `<name>-next`: a renewal issued beside `<name>`, for a test to move into place itself. */
    prepare(name: string, uris: string[]) {
      issue(`${name}-next`, uris);
      return {
        moveKey: () => renameSync(file(`${name}-next.key`), file(`${name}.key`)),
        moveCertificate: () => renameSync(file(`${name}-next.crt`), file(`${name}.crt`)),
      };
    },
    /** Replaces `<name>`'s files the way a renewal does: new files renamed over the old ones. */
    renew(name: string, uris: string[]) {
      issue(`${name}-next`, uris);
      renameSync(file(`${name}-next.crt`), file(`${name}.crt`));
      renameSync(file(`${name}-next.key`), file(`${name}.key`));
    },
  };
}

interface WhoAmI {
  serial: string | null;
}
/** One method that answers with the serial of the certificate its caller presented. */
const { definition, WhoAmIClient: IdentityClient } = whoAmIService<WhoAmI>('Identity');
type IdentityClient = InstanceType<typeof IdentityClient>;

describe('gRPC with mutual TLS: who may call a service is its certificate, checked on every call', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kit-mtls-'));
  const pki = makePki(dir);
  const audit = pki.issue('audit', [pki.id('audit')]);
  const gateway = pki.issue('gateway', [pki.id('gateway')]);
  const { log, lines } = captureLogger('audit');
  const metrics = createMetrics();
  const serverTls = { ...audit, refreshMs: 1_000 };
  let server: Server | undefined;
  let address = '';
  let port = 0;
  const clients: Client[] = [];

  beforeAll(async () => {
    const started = await startGrpcServer({
      host: '127.0.0.1',
      port: 0,
      tls: serverTls,
      callers: { allowed: ['gateway', 'notifications'], log, metrics },
      services: [
        [
          definition,
          {
            whoAmI: unary<object, WhoAmI>('test.Identity/WhoAmI', { log, metrics }, (_request, call) =>
              Promise.resolve({ serial: call.getAuthContext().sslPeerCertificate?.serialNumber ?? null }),
            ),
          },
        ],
      ],
    });
    server = started.server;
    port = started.port;
    address = `127.0.0.1:${String(port)}`;
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    if (server) await stopGrpcServer(server, 1_000);
    rmSync(dir, { recursive: true, force: true });
  });

  const client = (tls: TlsFiles, server = 'audit') => {
    const made = createClient(IdentityClient, address, {
      tls: { ...tls, refreshMs: 1_000 },
      server,
      deadlineMs: 3_000,
    });
    clients.push(made);
    return made;
  };
  const ask = (caller: IdentityClient, correlationId = newCorrelationId()) => {
    const metadata = new Metadata();
    metadata.set(CORRELATION_HEADER, correlationId);
    return callUnary(caller.whoAmI.bind(caller), {}, metadata);
  };
  const refused = async (reason: string) =>
    (await metrics.grpcRefused.get()).values.find((value) => value.labels.reason === reason)?.value ?? 0;
  const refusalLogged = (correlationId: string) =>
    lines().find((line) => line.event === 'grpc.refused' && line.correlation_id === correlationId);
  /** The serial of the certificate the server presents to a new connection. */
  const serverSerial = (tls: Required<TlsFiles>) =>
    new Promise<string>((resolve, reject) => {
      const socket = connect(
        {
          host: '127.0.0.1',
          port,
          ca: readFileSync(tls.caFile),
          cert: readFileSync(tls.certFile),
          key: readFileSync(tls.keyFile),
          ALPNProtocols: ['h2'],
        },
        () => {
          resolve(socket.getPeerCertificate().serialNumber);
          socket.destroy();
        },
      );
      socket.on('error', reject);
    });

  /** A refused call: its status, the security event with the caller's correlation id, the counter. */
  async function expectRefused(
    call: (correlationId: string) => Promise<unknown>,
    expected: { code: string; reason: string; caller: string },
  ) {
    const before = await refused(expected.reason);
    const correlationId = newCorrelationId();
    const error = await call(correlationId).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).code).toBe(expected.code);
    expect(refusalLogged(correlationId)).toMatchObject({
      level: 'warn',
      security: true,
      reason: expected.reason,
      caller: expected.caller,
      method: '/test.Identity/WhoAmI',
    });
    expect(await refused(expected.reason)).toBe(before + 1);
  }

  test('the metrics say when the certificate the process presents expires, so a renewal that never came pages first', async () => {
    const expiry = (await metrics.grpcCertificateExpiry.get()).values;
    const validTo = new X509Certificate(readFileSync(audit.certFile)).validToDate.getTime() / 1000;
    expect(expiry).toEqual([expect.objectContaining({ value: validTo })]);
  });

  test('a component the call graph allows is served, over TLS with its own certificate', async () => {
    const answer = await ask(client(gateway));
    expect(answer.serial).toBe(new X509Certificate(readFileSync(gateway.certFile)).serialNumber);
  });

  test('a TLS client without a certificate is refused as unauthenticated, logged with its correlation id and counted', async () => {
    const bare = new IdentityClient(address, ChannelCredentials.createSsl(readFileSync(audit.caFile)), {});
    clients.push(bare);
    await expectRefused((id) => ask(bare, id), {
      code: 'unauthenticated',
      reason: 'client_certificate_invalid',
      caller: 'none',
    });
  });

  test('a certificate another CA signed is refused, though it names an allowed component', async () => {
    const rogue = pki.issue('rogue-gateway', [pki.id('gateway')], { ca: 'other-ca' });
    await expectRefused((id) => ask(client(rogue), id), {
      code: 'unauthenticated',
      reason: 'client_certificate_invalid',
      caller: 'none',
    });
  });

  test('an expired certificate of an allowed component is refused', async () => {
    const expired = pki.issue('expired-gateway', [pki.id('gateway')], { days: -1 });
    await expectRefused((id) => ask(client(expired), id), {
      code: 'unauthenticated',
      reason: 'client_certificate_invalid',
      caller: 'none',
    });
  });

  test('a valid certificate of a component the call graph does not allow is refused as permission denied', async () => {
    const billing = pki.issue('billing', [pki.id('billing')]);
    await expectRefused((id) => ask(client(billing), id), {
      code: 'permission_denied',
      reason: 'caller_not_allowed',
      caller: 'billing',
    });
  });

  test('a certificate with no identity, two identities or another trust domain identifies nobody', async () => {
    const cases = [
      pki.issue('anonymous', []),
      pki.issue('two-ids', [pki.id('gateway'), pki.id('billing')]),
      pki.issue('elsewhere', ['spiffe://other.example/gateway']),
    ];
    for (const tls of cases) {
      await expectRefused((id) => ask(client(tls), id), {
        code: 'permission_denied',
        reason: 'caller_not_allowed',
        caller: 'none',
      });
    }
  });

  test('a refusal logs the identity and never the certificate', () => {
    const logged = JSON.stringify(lines().filter((line) => line.event === 'grpc.refused'));
    expect(logged).not.toMatch(/BEGIN CERTIFICATE|subjectaltname|fingerprint|CN=/i);
  });

  test('a plaintext client gets no service', async () => {
    const plain = createClient(IdentityClient, address, { tls: {}, deadlineMs: 2_000 });
    clients.push(plain);
    await expect(ask(plain)).rejects.toMatchObject({ code: 'unavailable' });
  });

  test('a client refuses a server whose certificate is another component, or does not name the address', async () => {
    // The audit server's certificate is sound, but this client meant to call billing.
    const misdirected = createClient(IdentityClient, address, {
      tls: gateway,
      server: 'billing',
      log,
      deadlineMs: 3_000,
    });
    clients.push(misdirected);
    await expect(ask(misdirected)).rejects.toMatchObject({ code: 'unavailable' });
    expect(lines().find((line) => line.event === 'grpc.server_refused')).toMatchObject({
      level: 'warn',
      server: 'billing',
      presented: 'audit',
    });
    const elsewhere = pki.issue('audit-elsewhere', [pki.id('audit')], { dns: ['DNS:audit.example'] });
    const other = await startGrpcServer({
      host: '127.0.0.1',
      port: 0,
      tls: elsewhere,
      callers: { allowed: ['gateway'], log, metrics: createMetrics() },
      services: [
        [
          definition,
          {
            whoAmI: unary('test.Identity/WhoAmI', { log, metrics }, () => Promise.resolve({ serial: null })),
          },
        ],
      ],
    });
    try {
      const caller = createClient(IdentityClient, `127.0.0.1:${String(other.port)}`, {
        tls: gateway,
        server: 'audit',
        deadlineMs: 3_000,
      });
      clients.push(caller);
      await expect(ask(caller)).rejects.toMatchObject({ code: 'unavailable' });
    } finally {
      await stopGrpcServer(other.server, 1_000);
    }
  });

  test('renewed certificate files are used by new connections without a restart, on both sides', async () => {
    const before = await serverSerial(gateway);
    const established = client(gateway);
    const callerBefore = (await ask(established)).serial;

    pki.renew('audit', [pki.id('audit')]);
    pki.renew('gateway', [pki.id('gateway')]);

    // The server presents its new certificate to a new handshake once it has re-read the files.
    const after = await waitFor(
      async () => {
        const serial = await serverSerial(gateway);
        return serial === before ? undefined : serial;
      },
      { timeoutMs: 10_000, what: 'the server to present its renewed certificate' },
    );
    expect(after).not.toBe(before);
    // The channel opened before the renewal keeps working.
    await expect(ask(established)).resolves.toMatchObject({ serial: callerBefore });
    // A new channel presents the caller's renewed certificate.
    const renewed = await waitFor(
      async () => {
        const fresh = client(gateway);
        const { serial } = await ask(fresh);
        return serial === callerBefore ? undefined : serial;
      },
      { timeoutMs: 10_000, what: 'the client to present its renewed certificate' },
    );
    expect(renewed).not.toBe(callerBefore);
  });

  test('a client that first connects after its files were renewed presents the renewed certificate', async () => {
    // Made at start-up, first used later (notifications asks auth only when it has mail to send).
    const notifications = pki.issue('notifications', [pki.id('notifications')]);
    const lazy = client(notifications);
    const started = new X509Certificate(readFileSync(notifications.certFile)).serialNumber;
    pki.renew('notifications', [pki.id('notifications')]);
    const renewed = new X509Certificate(readFileSync(notifications.certFile)).serialNumber;
    expect(renewed).not.toBe(started);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    await expect(ask(lazy)).resolves.toEqual({ serial: renewed });
  });

  test('a CA dropped from the CA file stops being served on connections already open, once they age out', async () => {
    // A server of its own, with its own copy of the CA file, whose connections take new calls for a second.
    const caFile = path.join(dir, 'aging-ca.crt');
    writeFileSync(caFile, readFileSync(audit.caFile));
    const aging = await startGrpcServer({
      host: '127.0.0.1',
      port: 0,
      tls: { ...pki.issue('audit-aging', [pki.id('audit')]), caFile, refreshMs: 1_000 },
      callers: { allowed: ['gateway'], log, metrics: createMetrics() },
      maxConnectionAgeMs: 1_000,
      services: [
        [
          definition,
          {
            whoAmI: unary('test.Identity/WhoAmI', { log, metrics }, () => Promise.resolve({ serial: null })),
          },
        ],
      ],
    });
    try {
      const caller = createClient(IdentityClient, `127.0.0.1:${String(aging.port)}`, {
        tls: gateway,
        server: 'audit',
        deadlineMs: 3_000,
      });
      clients.push(caller);
      await expect(ask(caller)).resolves.toEqual({ serial: null });
      // After a compromise the platform CA is replaced: this server no longer trusts it.
      writeFileSync(caFile, readFileSync(path.join(dir, 'other-ca.crt')));
      const refusal = await waitFor(
        () =>
          ask(caller).then(
            () => undefined,
            (error: unknown) => error,
          ),
        { timeoutMs: 10_000, what: 'the open connection to age out and the caller to be refused' },
      );
      expect(refusal).toMatchObject({ code: 'unauthenticated' });
    } finally {
      await stopGrpcServer(aging.server, 1_000);
    }
  }, 15_000);

  test('a renewal caught half-way (the new key beside the old certificate) keeps the last good pair in use', async () => {
    const before = await serverSerial(gateway);
    const renewal = pki.prepare('audit', [pki.id('audit')]);
    renewal.moveKey();
    // Two refresh intervals: the server has read the mismatched pair at least once.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(await serverSerial(gateway)).toBe(before);
    await expect(ask(client(gateway))).resolves.toHaveProperty('serial');
    expect(lines().some((line) => line.event === 'grpc.tls.reload_failed')).toBe(true);
    renewal.moveCertificate();
    const after = await waitFor(
      async () => {
        const serial = await serverSerial(gateway);
        return serial === before ? undefined : serial;
      },
      { timeoutMs: 10_000, what: 'the server to present the completed renewal' },
    );
    expect(after).not.toBe(before);
  });
});

describe('a certificate identifies the one component its URI SAN names', () => {
  test.each([
    ['URI:spiffe://tracking/gateway', 'gateway'],
    ['DNS:localhost, IP Address:127.0.0.1, URI:spiffe://tracking/ai-inference', 'ai-inference'],
    ['DNS:localhost', undefined],
    ['URI:spiffe://tracking/gateway, URI:spiffe://tracking/audit', undefined],
    ['URI:spiffe://tracking/gateway, URI:https://example.com', undefined],
    ['URI:spiffe://other/gateway', undefined],
    ['URI:spiffe://tracking/gateway/extra', undefined],
    ['URI:spiffe://tracking/Gateway', undefined],
    // Node quotes a value holding ", " so it cannot pose as a second entry.
    ['URI:"x, URI:spiffe://tracking/gateway"', undefined],
    ['DNS:"a, URI:spiffe://tracking/gateway, DNS:b"', undefined],
    ['URI:"spiffe://tracking/gateway', undefined],
  ])('%s → %s', (subjectaltname, component) => {
    expect(componentOf({ subjectaltname })).toBe(component);
  });
});
