import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  chmod,
  chown,
  copyFile,
  mkdir,
  mkdtemp,
  open,
  readFile,
  rename,
  rm,
  writeFile,
} from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest, type Server as HttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect, createServer as createTlsServer, type ConnectionOptions, type Server } from 'node:tls';

import { createLogger, createMetrics, createTlsServer as createCallerCheckedServer } from '@tracking/kit';
import { grpcClientTls, randomName, waitFor } from '@tracking/testing';
import {
  freePort,
  jsonLines,
  startPlatform,
  TEST_NETWORKS,
  writeGeoIpDatabase,
  type Platform,
} from '@tracking/testing/platform';

import { at, renderChart, type Json, type Manifest } from '../chart/chart-render';

const NGINX = existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';
/** The edge pod's user (tracking.containerSecurityContext); nginx runs as it here too when the tests run as root. */
const EDGE_UID = 65532;
const asEdgeUser = process.getuid?.() === 0;

// Addresses in the test GeoIP database (platform.ts TEST_NETWORKS).
const NZ = '203.0.113.10';
const AU = '198.51.100.7';
const US = '192.0.2.5';
const HSTS = 'max-age=63072000; includeSubDomains';
/** Where the test's "Stripe" sends from: the US test range, on edge.stripeWebhook.allowFrom. */
const STRIPE = '192.0.2.40';
/** A stand-in for the web app's build: index.html, a hashed asset, the web manifest. */
const WEB_ROOT = path.join(__dirname, 'fixtures', 'web');

/** A request billing's webhook port received: the bytes exactly as they arrived. */
interface Delivered {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** `helm template` of the chart with these --set values (npm test builds helm). */
const render = (...set: string[]) => renderChart({ set });

const find = (manifests: Manifest[], kind: string, name: string): Manifest => {
  const found = manifests.find((manifest) => manifest.kind === kind && manifest.metadata.name === name);
  if (!found) throw new Error(`no ${kind}/${name} rendered`);
  return found;
};

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

describe("the edge the chart renders, run by Debian's nginx in front of the real gateway", () => {
  let dir = '';
  let platform: Platform | undefined;
  let nginx: ChildProcess | undefined;
  /** The web component's nginx, serving WEB_ROOT with the chart's tracking-web-site nginx.conf. */
  let webNginx: ChildProcess | undefined;
  let control: Server | undefined;
  let controlPort = 0;
  let conf = '';
  let ca = '';
  let accessLog = '';
  let errorLog = '';
  let geoipDb = '';
  let nginxStarted = 0;
  const ports = { https: 0, http: 0, health: 0, web: 0, webOps: 0 };
  // A stand-in for billing's webhook port: it records what it gets and answers as billing does.
  let billing: HttpsServer | undefined;
  const delivered: Delivered[] = [];

  const setup = () => {
    if (!platform) throw new Error('the platform was not started');
    return platform;
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'edge-nginx-'));
    // nginx reads these as the edge's user, like the mounted ConfigMap, Secret and volume.
    await chmod(dir, 0o755);
    const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    await writeFile(
      path.join(dir, 'server.ext'),
      'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n',
    );
    openssl(
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
      ...['-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=edge-test-ca'],
    );
    openssl(
      ...['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'tls.key', '-out', 'tls.csr'],
      ...['-subj', '/CN=localhost'],
    );
    openssl(
      ...['x509', '-req', '-in', 'tls.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial'],
      ...['-out', 'tls.crt', '-days', '1', '-extfile', 'server.ext'],
    );
    await chmod(path.join(dir, 'tls.key'), 0o644);
    ca = await readFile(path.join(dir, 'ca.crt'), 'utf8');
    geoipDb = path.join(dir, 'geoip.mmdb');
    await writeGeoIpDatabase(geoipDb);

    // The gateway serves TLS to the edge's certificate alone, as in a cluster (edge-hops.test.ts).
    platform = await startPlatform({ ai: false, httpTls: true });
    const gateway = new URL(platform.api);
    const pki = platform.pki;
    if (!pki) throw new Error('the platform has no PKI');
    // The edge's and web's certificates, readable by nginx's user like the mounted Secret.
    const mtls = path.join(dir, 'mtls');
    await mkdir(mtls, { mode: 0o755 });
    for (const [name, mode] of [
      ['ca.crt', 0o644],
      ['edge.crt', 0o644],
      ['edge.key', 0o600],
      ['web.crt', 0o644],
      ['web.key', 0o600],
    ] as const) {
      await copyFile(path.join(pki, name), path.join(mtls, name));
      await chmod(path.join(mtls, name), mode);
      if (asEdgeUser) await chown(path.join(mtls, name), EDGE_UID, EDGE_UID);
    }

    // Billing's webhook port serves TLS to the edge alone, as billing does (the kit's listener).
    billing = createCallerCheckedServer(
      (request, response) => {
        const chunks: Buffer[] = [];
        request.on('data', (chunk: Buffer) => chunks.push(chunk));
        request.on('end', () => {
          delivered.push({
            method: request.method ?? '',
            url: request.url ?? '',
            headers: request.headers,
            body: Buffer.concat(chunks),
          });
          response.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}');
        });
      },
      {
        files: grpcClientTls('billing', pki),
        allowedCallers: ['edge'],
        refreshMs: 60_000,
        log: createLogger({ service: 'billing-stand-in', level: 'error' }),
        metrics: createMetrics(),
      },
    );
    const stripeStandIn = billing;
    await new Promise<void>((resolve) => stripeStandIn.listen(0, '127.0.0.1', resolve));
    const billingPort = (stripeStandIn.address() as { port: number }).port;

    const free = new Set<number>();
    while (free.size < 5) free.add(await freePort());
    const [https = 0, http = 0, health = 0, web = 0, webOps = 0] = [...free];
    Object.assign(ports, { https, http, health, web, webOps });
    const runDir = path.join(dir, 'run');
    const webRunDir = path.join(dir, 'web-run');
    await Promise.all([mkdir(runDir), mkdir(webRunDir)]);
    const manifests = await render(
      `edge.upstream=127.0.0.1:${gateway.port}`,
      // The hops: TLS with the edge's certificate, checking the upstreams' (which name localhost).
      `edge.upstreamTls.caFile=${path.join(mtls, 'ca.crt')}`,
      `edge.upstreamTls.certFile=${path.join(mtls, 'edge.crt')}`,
      `edge.upstreamTls.keyFile=${path.join(mtls, 'edge.key')}`,
      'edge.upstreamTls.serverName=localhost',
      `components.web.staticSite.tls.caFile=${path.join(mtls, 'ca.crt')}`,
      `components.web.staticSite.tls.certFile=${path.join(mtls, 'web.crt')}`,
      `components.web.staticSite.tls.keyFile=${path.join(mtls, 'web.key')}`,
      `edge.tls.certFile=${path.join(dir, 'tls.crt')}`,
      `edge.tls.keyFile=${path.join(dir, 'tls.key')}`,
      `edge.tls.dhParamFile=${path.join(dir, 'ffdhe2048.pem')}`,
      `edge.geoip.databaseFile=${geoipDb}`,
      `edge.tempDir=${runDir}`,
      `edge.ports.https=${ports.https}`,
      `edge.ports.http=${ports.http}`,
      `edge.ports.health=${ports.health}`,
      // The test client plays the cloud load balancer: it states the client address.
      'edge.realIpFrom={127.0.0.1/32}',
      'edge.adminAllowedCidrs={203.0.113.0/24,198.51.100.128/25}',
      'edge.clientMaxBodySize=1k',
      'edge.rateLimit.rate=2r/s',
      'edge.rateLimit.burst=5',
      // One worker, so the GeoIP reload below is seen by every request; a check each second.
      'edge.workerProcesses=1',
      'edge.geoip.reloadInterval=1s',
      // Stripe's webhooks go to the stand-in, only from "Stripe's" ranges (the US and AU test
      // ranges), with a body limit above the API's 1 KiB and an allowance of their own.
      `edge.stripeWebhook.upstream=127.0.0.1:${billingPort}`,
      'edge.stripeWebhook.allowFrom={192.0.2.0/24,198.51.100.0/24}',
      'edge.stripeWebhook.clientMaxBodySize=4k',
      'edge.stripeWebhook.rateLimit.rate=2r/s',
      'edge.stripeWebhook.rateLimit.burst=5',
      // The web component: every other path goes to it.
      `edge.webUpstream=127.0.0.1:${ports.web}`,
      `components.web.ports.http=${ports.web}`,
      `components.web.ports.ops=${ports.webOps}`,
      `components.web.staticSite.root=${WEB_ROOT}`,
      `components.web.staticSite.tempDir=${webRunDir}`,
    );
    // The ConfigMap's files, written where the pod mounts them: nginx.conf exactly as rendered.
    const configMap = find(manifests, 'ConfigMap', 'tracking-edge');
    conf = path.join(dir, 'nginx.conf');
    await writeFile(conf, configMap.data?.['nginx.conf'] ?? '');
    await writeFile(path.join(dir, 'ffdhe2048.pem'), configMap.data?.['ffdhe2048.pem'] ?? '');
    const webConf = path.join(dir, 'web.conf');
    await writeFile(webConf, find(manifests, 'ConfigMap', 'tracking-web-site').data?.['nginx.conf'] ?? '');

    // nginx reopens /dev/stdout for its access log, so stdout must be a file it may write.
    accessLog = path.join(dir, 'access.log');
    errorLog = path.join(dir, 'error.log');
    const [out, err] = await Promise.all([open(accessLog, 'w'), open(errorLog, 'w')]);
    const webErrorLog = path.join(dir, 'web-error.log');
    const [webOut, webErr] = await Promise.all([
      open(path.join(dir, 'web-out.log'), 'w'),
      open(webErrorLog, 'w'),
    ]);
    if (asEdgeUser) {
      await Promise.all(
        [accessLog, errorLog, runDir, webRunDir, webErrorLog, path.join(dir, 'web-out.log')].map((file) =>
          chown(file, EDGE_UID, EDGE_UID),
        ),
      );
    }
    // The web pod's command (templates/components.yaml).
    webNginx = spawn(NGINX, ['-e', 'stderr', '-c', webConf, '-p', `${dir}/`], {
      stdio: ['ignore', webOut.fd, webErr.fd],
      ...(asEdgeUser ? { uid: EDGE_UID, gid: EDGE_UID } : {}),
    });
    await Promise.all([webOut.close(), webErr.close()]);
    webNginx.once('error', () => undefined);
    await waitFor(
      async () => {
        if (webNginx?.exitCode !== null) {
          throw new Error(`the web component's nginx exited: ${await readFile(webErrorLog, 'utf8')}`);
        }
        return (await fetch(`http://127.0.0.1:${ports.webOps}/readyz`)).ok;
      },
      { what: "the web component's nginx", timeoutMs: 15_000 },
    );
    // The pod's command (templates/edge.yaml), plus a prefix so nothing resolves outside the test.
    nginxStarted = Date.now();
    nginx = spawn(NGINX, ['-e', 'stderr', '-c', conf, '-p', `${dir}/`], {
      stdio: ['ignore', out.fd, err.fd],
      ...(asEdgeUser ? { uid: EDGE_UID, gid: EDGE_UID } : {}),
    });
    await Promise.all([out.close(), err.close()]);
    nginx.once('error', () => undefined);
    await waitFor(
      async () => {
        if (nginx?.exitCode !== null) {
          throw new Error(`nginx exited: ${await readFile(errorLog, 'utf8')}`);
        }
        return (
          (await fetch(`http://127.0.0.1:${ports.health}/healthz`)).ok &&
          (await fetch(`http://127.0.0.1:${ports.health}/readyz`)).ok
        );
      },
      {
        what: 'nginx (Debian nginx and libnginx-mod-http-geoip2: scripts/lib.sh ensure_nginx)',
        timeoutMs: 15_000,
      },
    );

    // A deliberately permissive TLS server: a handshake the edge refuses must succeed here, so
    // the refusal is the edge's and not the client failing to offer the old protocol or suite.
    control = createTlsServer(
      {
        key: await readFile(path.join(dir, 'tls.key')),
        cert: await readFile(path.join(dir, 'tls.crt')),
        minVersion: 'TLSv1',
        ciphers: 'ALL:@SECLEVEL=0',
      },
      (socket) => socket.end(),
    );
    await new Promise<void>((resolve) => control?.listen(0, '127.0.0.1', resolve));
    controlPort = (control.address() as { port: number }).port;
  });

  afterAll(async () => {
    control?.close();
    billing?.close();
    for (const child of [nginx, webNginx]) {
      if (child && child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGQUIT');
        await exited;
      }
    }
    const codes = (await platform?.stop()) ?? [];
    await rm(dir, { recursive: true, force: true });
    expect(codes).toEqual(codes.map(() => 0));
  });

  /** One request to the edge, over TLS (verified against our CA) or plain HTTP, as the load balancer would pass it on. */
  function send(options: {
    tls?: boolean;
    port?: number;
    method?: string;
    path: string;
    /** The client address the load balancer states (X-Forwarded-For). */
    from?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    /** The TCP peer; 127.0.0.1 is the trusted load balancer. */
    localAddress?: string;
  }): Promise<Reply> {
    const tls = options.tls ?? true;
    const headers: Record<string, string> = {
      host: 'app.example.test',
      ...(options.from ? { 'x-forwarded-for': options.from } : {}),
      ...(options.body === undefined
        ? {}
        : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(options.body)) }),
      ...options.headers,
    };
    return new Promise((resolve, reject) => {
      const request = (tls ? httpsRequest : httpRequest)(
        {
          host: '127.0.0.1',
          port: options.port ?? (tls ? ports.https : ports.http),
          method: options.method ?? 'GET',
          path: options.path,
          headers,
          localAddress: options.localAddress,
          agent: false,
          ...(tls ? { ca, servername: 'localhost' } : {}),
        },
        (response) => {
          let body = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (body += chunk));
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
          );
        },
      );
      request.on('error', reject);
      request.end(options.body);
    });
  }

  const problem = (reply: Reply) => JSON.parse(reply.body) as Json;

  async function gatewayLine(match: (line: Json) => boolean): Promise<Json> {
    return waitFor(async () => (await jsonLines(setup().logFile('gateway'))).find(match), {
      what: "the gateway's log line",
    });
  }

  async function edgeLine(correlationId: string): Promise<Json> {
    return waitFor(
      async () => (await jsonLines(accessLog)).find((line) => line.correlation_id === correlationId),
      { what: "the edge's access log line" },
    );
  }

  /** A refusal the edge made itself: the gateway's problem format, never cached, not forwarded. */
  async function expectEdgeRefusal(reply: Reply, status: number, code: string) {
    expect(reply.status).toBe(status);
    expect(reply.headers['content-type']).toBe('application/problem+json');
    expect(reply.headers['cache-control']).toBe('no-store');
    const body = problem(reply);
    expect(body).toMatchObject({ type: `urn:tracking:problem:${code}`, status, code });
    expect(body.correlationId).toBe(reply.headers['x-correlation-id']);
    expect(await edgeLine(String(body.correlationId))).toMatchObject({ upstream_status: '' });
  }

  test('clients in NZ and AU reach the gateway over HTTPS; the US, and an address no country claims, are refused at the edge', async () => {
    for (const client of [NZ, AU]) {
      const reply = await send({ path: '/api/v1/me', from: client });
      // The gateway answered (no session), so it believed the edge about the address and HTTPS.
      expect({ client, status: reply.status, code: problem(reply).code }).toEqual({
        client,
        status: 401,
        code: 'unauthenticated',
      });
      // One HSTS header, the edge's (the gateway's own is replaced, not repeated).
      expect(reply.headers['strict-transport-security']).toBe(HSTS);
    }
    for (const client of [US, '10.1.2.3']) {
      const reply = await send({ path: '/api/v1/me', from: client });
      await expectEdgeRefusal(reply, 403, 'geo_blocked');
      expect(reply.headers['strict-transport-security']).toBe(HSTS);
    }
    expect(
      await edgeLine(String(problem(await send({ path: '/api/v1/me', from: US })).correlationId)),
    ).toMatchObject({
      client_ip: US,
      country: 'US',
      status: '403',
    });
  });

  test('security.txt is reachable from any country, as the gateway promises', async () => {
    const reply = await send({ path: '/.well-known/security.txt', from: US });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatch(/^Contact: mailto:security@example\.test$/m);
  });

  test('the admin API is refused outside its networks at the edge, and the gateway behind it sees the client’s own address', async () => {
    // Outside the edge's list, in any spelling of the path.
    for (const spelling of [
      '/api/v1/admin/audit/entries',
      '/API/v1/%61dmin/audit/entries',
      '/api/v1//admin/users',
    ]) {
      await expectEdgeRefusal(await send({ path: spelling, from: AU }), 403, 'permission_denied');
    }
    expect(problem(await send({ path: '/api/v1/admin/audit/entries', from: AU })).detail).toBe(
      'the admin API is not available from this network',
    );
    // Inside it: forwarded, and the gateway asks for a session.
    const inside = await send({ path: '/api/v1/admin/audit/entries', from: NZ });
    expect({ status: inside.status, code: problem(inside).code }).toEqual({
      status: 401,
      code: 'unauthenticated',
    });

    // 198.51.100.200 is on the edge's list but not the gateway's: the gateway, the second line,
    // refuses it and logs the address the edge forwarded, not the edge's own.
    const secondLine = await send({ path: '/api/v1/admin/audit/entries', from: '198.51.100.200' });
    expect({ status: secondLine.status, code: problem(secondLine).code }).toEqual({
      status: 403,
      code: 'permission_denied',
    });
    const correlationId = String(secondLine.headers['x-correlation-id']);
    expect(
      await gatewayLine(
        (line) => line.event === 'edge.admin_network_refused' && line.correlation_id === correlationId,
      ),
    ).toMatchObject({ clientIp: '198.51.100.200' });
  });

  test("the correlation id the edge sets reaches the gateway's request log, and the edge logs it too", async () => {
    const reply = await send({
      method: 'POST',
      path: '/api/v1/auth/register',
      from: NZ,
      body: JSON.stringify({
        email: `${randomName('edge-')}@example.test`,
        password: 'a long enough passphrase',
        displayName: 'Edge',
      }),
    });
    expect(reply.status).toBe(201);
    const correlationId = String(reply.headers['x-correlation-id']);
    // nginx's $request_id: made at the edge, not the gateway's UUID.
    expect(correlationId).toMatch(/^[0-9a-f]{32}$/);
    expect(
      await gatewayLine((line) => line.event === 'http.request' && line.correlation_id === correlationId),
    ).toMatchObject({ status: 201, route: '/api/v1/auth/register', method: 'POST' });
    expect(await edgeLine(correlationId)).toMatchObject({
      client_ip: NZ,
      country: 'NZ',
      tls: expect.stringMatching(/^TLSv1\.[23]$/) as unknown,
      path: '/api/v1/auth/register',
      status: '201',
      upstream_status: '201',
    });
  });

  test('a client address or correlation id stated by anyone but the load balancer is ignored', async () => {
    // From 127.0.0.2, not a trusted load balancer: its X-Forwarded-For is not believed, so the
    // client is 127.0.0.2, which no country claims.
    const forged = await send({
      path: '/api/v1/me',
      from: NZ,
      headers: { 'x-correlation-id': 'forged-correlation-0001' },
      localAddress: '127.0.0.2',
    });
    await expectEdgeRefusal(forged, 403, 'geo_blocked');
    expect(forged.headers['x-correlation-id']).not.toBe('forged-correlation-0001');
    expect(await edgeLine(String(forged.headers['x-correlation-id']))).toMatchObject({
      client_ip: '127.0.0.2',
    });

    // The load balancer's own id is kept, and is the one the gateway logs.
    const kept = await send({
      path: '/api/v1/me',
      from: NZ,
      headers: { 'x-correlation-id': 'lb-correlation-0001' },
    });
    expect(kept.headers['x-correlation-id']).toBe('lb-correlation-0001');
    await gatewayLine(
      (line) => line.event === 'http.request' && line.correlation_id === 'lb-correlation-0001',
    );
  });

  test('TLS 1.3 and 1.2 with the intermediate suites are accepted; TLS 1.0, 1.1 and weak suites fail the handshake', async () => {
    const handshake = (port: number, options: ConnectionOptions) =>
      new Promise<{ protocol: string | null; cipher: string } | { error: string }>((resolve) => {
        const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ca, ...options }, () => {
          resolve({ protocol: socket.getProtocol(), cipher: socket.getCipher().name });
          socket.destroy();
        });
        socket.on('error', (error: Error) => resolve({ error: error.message }));
      });

    expect(await handshake(ports.https, { minVersion: 'TLSv1.3' })).toMatchObject({ protocol: 'TLSv1.3' });
    for (const cipher of [
      'ECDHE-RSA-AES128-GCM-SHA256',
      'ECDHE-RSA-AES256-GCM-SHA384',
      'ECDHE-RSA-CHACHA20-POLY1305',
      'DHE-RSA-AES128-GCM-SHA256',
      'DHE-RSA-AES256-GCM-SHA384',
      'DHE-RSA-CHACHA20-POLY1305',
    ]) {
      expect(await handshake(ports.https, { maxVersion: 'TLSv1.2', ciphers: cipher })).toEqual({
        protocol: 'TLSv1.2',
        cipher,
      });
    }

    // Node offers TLS 1.0 and 1.1 only at OpenSSL security level 0; the control server proves it does.
    const refused: [string, ConnectionOptions][] = [
      ['TLS 1.1', { minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' }],
      ['TLS 1.0', { minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' }],
      // CBC with SHA-1, and RSA key exchange without forward secrecy.
      ['ECDHE-RSA-AES128-SHA', { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-SHA' }],
      ['AES128-SHA', { maxVersion: 'TLSv1.2', ciphers: 'AES128-SHA' }],
      ['AES256-GCM-SHA384', { maxVersion: 'TLSv1.2', ciphers: 'AES256-GCM-SHA384' }],
    ];
    for (const [what, options] of refused) {
      expect({
        what,
        control: await handshake(controlPort, { ...options, rejectUnauthorized: false }),
      }).toEqual({
        what,
        control: {
          protocol: expect.stringMatching(/^TLSv1(\.[12])?$/) as unknown,
          cipher: expect.any(String) as unknown,
        },
      });
      expect({ what, edge: await handshake(ports.https, options) }).toEqual({
        what,
        edge: { error: expect.any(String) as unknown },
      });
    }
  });

  test('over plain HTTP a page is redirected to HTTPS with 308, while the API and other methods are refused and nothing is forwarded', async () => {
    const page = await send({ tls: false, path: '/meals?day=today', from: NZ });
    expect(page.status).toBe(308);
    expect(page.headers.location).toBe('https://app.example.test/meals?day=today');
    expect(page.headers['strict-transport-security']).toBeUndefined();

    // security.txt: redirected as RFC 9116 asks, for a client anywhere.
    const securityTxt = await send({ tls: false, path: '/.well-known/security.txt', from: US });
    expect(securityTxt.status).toBe(308);
    expect(securityTxt.headers.location).toBe('https://app.example.test/.well-known/security.txt');

    for (const [method, route] of [
      ['GET', '/api/v1/me'],
      ['POST', '/API/v1/auth/login'],
      ['POST', '/meals'],
    ] as const) {
      const reply = await send({
        tls: false,
        method,
        path: route,
        from: NZ,
        body: method === 'POST' ? '{}' : undefined,
      });
      await expectEdgeRefusal(reply, 403, 'https_required');
    }
    // A client outside the allowed countries is refused for that first, as at the gateway.
    await expectEdgeRefusal(await send({ tls: false, path: '/meals', from: US }), 403, 'geo_blocked');
    // Plain HTTP sent to the TLS port is refused the same way.
    await expectEdgeRefusal(
      await send({ tls: false, port: ports.https, path: '/api/v1/me', from: NZ }),
      403,
      'https_required',
    );
  });

  test('a body over the size limit gets 413, and requests beyond the per-address rate get 429 with Retry-After', async () => {
    const large = await send({
      method: 'POST',
      path: '/api/v1/auth/register',
      from: NZ,
      body: JSON.stringify({ email: 'big@example.test', password: 'x'.repeat(4096), displayName: 'Big' }),
    });
    await expectEdgeRefusal(large, 413, 'invalid_argument');
    expect(problem(large).detail).toBe('request body too large');

    // 2 requests a second with a burst of 5 (the test's values): one address's burst of 15 is cut short...
    const burst = await Promise.all(
      Array.from({ length: 15 }, () => send({ path: '/.well-known/security.txt', from: '203.0.113.77' })),
    );
    const limited = burst.filter((reply) => reply.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(5);
    expect(burst.filter((reply) => reply.status === 200).length).toBeGreaterThanOrEqual(6);
    await expectEdgeRefusal(limited[0] as Reply, 429, 'resource_exhausted');
    expect(limited[0]?.headers['retry-after']).toBe('1');
    // ...while another address has its own allowance.
    expect((await send({ path: '/.well-known/security.txt', from: '203.0.113.78' })).status).toBe(200);
  });

  test('an IPv6 client has one allowance per /64, however its addresses are written (#20)', async () => {
    // 15 addresses of 2001:db8:1:5::/64 (NZ in the test GeoIP database), some of whose text
    // forms compress zeros inside the first four groups; and of 2001:db8:1::/64 (2001:db8:1:0::).
    const sameNetwork = (i: number) =>
      i % 2 === 0 ? `2001:db8:1:5::${(i + 1).toString(16)}` : `2001:db8:1:5:${i}:0:0:1`;
    const burst = await Promise.all(
      Array.from({ length: 15 }, (_, i) => send({ path: '/.well-known/security.txt', from: sameNetwork(i) })),
    );
    expect(burst.filter((reply) => reply.status === 429).length).toBeGreaterThanOrEqual(5);
    const zeros = await Promise.all(
      Array.from({ length: 15 }, (_, i) =>
        send({
          path: '/.well-known/security.txt',
          from: i % 2 === 0 ? `2001:db8:1::${i + 1}` : `2001:db8:1:0:${i}::1`,
        }),
      ),
    );
    expect(zeros.filter((reply) => reply.status === 429).length).toBeGreaterThanOrEqual(5);
    // Another /64 has its own allowance.
    expect((await send({ path: '/.well-known/security.txt', from: '2001:db8:1:6::1' })).status).toBe(200);
  });

  /** A Stripe event as Stripe sends it: compact JSON, with non-ASCII text, over the API's body limit. */
  const stripeEvent = (id: string) =>
    Buffer.from(
      JSON.stringify({
        id,
        object: 'event',
        type: 'invoice.payment_failed',
        data: {
          object: {
            id: 'in_1Test',
            customer: 'cus_Test',
            customer_name: 'Zoë Ngāti — “café” 🍵',
            lines: Array.from({ length: 24 }, (_, n) => ({ id: `il_${n}`, amount: 1999, currency: 'nzd' })),
          },
        },
      }) + '\r\n',
      'utf8',
    );

  test("Stripe's webhook reaches billing from a GeoIP-blocked country over HTTPS, with the exact body bytes and its signature", async () => {
    const body = stripeEvent('evt_exact_bytes');
    expect(body.length).toBeGreaterThan(1024); // over the API's limit in this test, under the webhook's
    const signature = 't=1700000000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd';
    const before = delivered.length;
    const reply = await send({
      method: 'POST',
      path: '/webhooks/stripe',
      from: STRIPE,
      body,
      headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': signature },
    });
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({ received: true });
    expect(reply.headers['strict-transport-security']).toBe(HSTS);
    expect(delivered).toHaveLength(before + 1);
    const received = delivered[before] as Delivered;
    expect(received).toMatchObject({ method: 'POST', url: '/webhooks/stripe' });
    expect(received.body.equals(body)).toBe(true);
    expect(received.headers).toMatchObject({
      'stripe-signature': signature,
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(body.length),
      'x-forwarded-for': STRIPE,
      'x-forwarded-proto': 'https',
      'x-correlation-id': reply.headers['x-correlation-id'],
    });
    // The edge decided by the allow-list, not the country: the US is refused everywhere else.
    expect(await edgeLine(String(reply.headers['x-correlation-id']))).toMatchObject({
      client_ip: STRIPE,
      country: 'US',
      path: '/webhooks/stripe',
      status: '200',
      upstream_status: '200',
    });
    await expectEdgeRefusal(await send({ path: '/api/v1/me', from: STRIPE }), 403, 'geo_blocked');
    expect(delivered).toHaveLength(before + 1);
  });

  test('only POST to exactly /webhooks/stripe reaches billing; other methods are refused and other paths go where any other request goes', async () => {
    const before = delivered.length;
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const reply = await send({ method, path: '/webhooks/stripe', from: STRIPE });
      await expectEdgeRefusal(reply, 405, 'invalid_argument');
      expect(reply.headers.allow).toBe('POST');
    }
    // Near misses are ordinary requests for the web app, GeoIP and all (each NZ request from its
    // own address, to stay within this test's small per-address rate).
    const nearMisses = ['/webhooks/stripe/', '/webhooks/stripe/events', '/WEBHOOKS/stripe', '/webhooks'];
    for (const [index, near] of nearMisses.entries()) {
      await expectEdgeRefusal(
        await send({ method: 'POST', path: near, from: STRIPE, body: '{}' }),
        403,
        'geo_blocked',
      );
      const fromNz = await send({ method: 'POST', path: near, from: `203.0.113.${50 + index}`, body: '{}' });
      expect({
        near,
        upstream: (await edgeLine(String(fromNz.headers['x-correlation-id']))).upstream_status,
      }).toEqual({ near, upstream: String(fromNz.status) });
    }
    const api = await send({ path: '/api/v1/me', from: '203.0.113.60' });
    expect({ status: api.status, code: problem(api).code }).toEqual({ status: 401, code: 'unauthenticated' });
    expect(delivered).toHaveLength(before);
  });

  test('webhooks are refused from outside edge.stripeWebhook.allowFrom even in an allowed country, over plain HTTP, and over the body limit', async () => {
    const before = delivered.length;
    const body = stripeEvent('evt_refused');
    const post = (options: { from: string; tls?: boolean; port?: number; body?: Buffer }) =>
      send({
        method: 'POST',
        path: '/webhooks/stripe',
        body: options.body ?? body,
        headers: { 'stripe-signature': 't=1,v1=00' },
        ...options,
      });
    const outside = await post({ from: NZ });
    await expectEdgeRefusal(outside, 403, 'permission_denied');
    expect(problem(outside).detail).toBe('webhooks are not accepted from this address');
    // Plain HTTP: refused from anywhere, never redirected (the body was already sent).
    await expectEdgeRefusal(await post({ from: STRIPE, tls: false }), 403, 'https_required');
    await expectEdgeRefusal(await post({ from: NZ, tls: false }), 403, 'https_required');
    await expectEdgeRefusal(
      await post({ from: STRIPE, tls: false, port: ports.https }),
      403,
      'https_required',
    );
    // 4 KiB here (edge.stripeWebhook.clientMaxBodySize).
    await expectEdgeRefusal(
      await post({ from: STRIPE, body: Buffer.concat([body, body, body, body]) }),
      413,
      'invalid_argument',
    );
    expect(delivered).toHaveLength(before);
  });

  test("a flood of webhooks from one address gets 429 on the webhook's own allowance, while another of Stripe's addresses passes", async () => {
    const before = delivered.length;
    // 2 a second with a burst of 5 (the test's values).
    const burst = await Promise.all(
      Array.from({ length: 15 }, (_, n) =>
        send({
          method: 'POST',
          path: '/webhooks/stripe',
          from: '192.0.2.41',
          body: stripeEvent(`evt_flood_${n}`),
        }),
      ),
    );
    const limited = burst.filter((reply) => reply.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(5);
    expect(burst.filter((reply) => reply.status === 200).length).toBe(delivered.length - before);
    await expectEdgeRefusal(limited[0] as Reply, 429, 'resource_exhausted');
    const other = await send({
      method: 'POST',
      path: '/webhooks/stripe',
      from: '198.51.100.41',
      body: stripeEvent('evt_other_address'),
    });
    expect(other.status).toBe(200);
  });

  /** A fresh NZ address for each call: the app's tests stay within the test's per-address rate. */
  let nzHost = 100;
  const nz = () => `203.0.113.${String(nzHost++)}`;

  test('every path that is not the API is the web app: its routes get index.html, never stored, under the same strict CSP the API sends', async () => {
    const api = await send({ path: '/api/v1/me', from: nz() });
    const csp = String(api.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    for (const route of ['/', '/today', '/verify-email', '/billing?session_id=cs_test_1', '/account/mfa']) {
      const page = await send({ path: route, from: nz() });
      expect({
        route,
        status: page.status,
        type: page.headers['content-type'],
        cache: page.headers['cache-control'],
        csp: page.headers['content-security-policy'],
      }).toEqual({ route, status: 200, type: 'text/html; charset=utf-8', cache: 'no-store', csp });
      expect(page.body).toContain("A stand-in for the web app's build");
      expect(page.headers).toMatchObject({
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
        'referrer-policy': 'no-referrer',
        'strict-transport-security': HSTS,
      });
      expect(await edgeLine(String(page.headers['x-correlation-id']))).toMatchObject({
        country: 'NZ',
        upstream_status: '200',
      });
    }
    // The API in any letter case is still the gateway's, never the app's HTML.
    const upper = await send({ path: '/API/v1/me', from: nz() });
    expect({ status: upper.status, code: problem(upper).code }).toEqual({
      status: 401,
      code: 'unauthenticated',
    });
  });

  test('hashed assets are cached for a year without revalidation, other files are revalidated, and a missing file is 404, never the app', async () => {
    const asset = await send({ path: '/assets/app-3f2a9c1b.js', from: nz() });
    expect({
      status: asset.status,
      type: asset.headers['content-type'],
      cache: asset.headers['cache-control'],
    }).toEqual({
      status: 200,
      type: 'text/javascript; charset=utf-8',
      cache: 'public, max-age=31536000, immutable',
    });
    const manifest = await send({ path: '/manifest.webmanifest', from: nz() });
    expect({ status: manifest.status, cache: manifest.headers['cache-control'] }).toEqual({
      status: 200,
      cache: 'no-cache',
    });
    const index = await send({ path: '/index.html', from: nz() });
    expect({ status: index.status, cache: index.headers['cache-control'] }).toEqual({
      status: 200,
      cache: 'no-store',
    });
    // An old page asking for an asset a deploy removed, or any missing file, gets 404.
    for (const missing of ['/assets/app-00000000.js', '/assets/gone', '/icon-512.png', '/today/app.css']) {
      const reply = await send({ path: missing, from: nz() });
      expect({ missing, status: reply.status, app: reply.body.includes('A stand-in') }).toEqual({
        missing,
        status: 404,
        app: false,
      });
    }
  });

  test('the app is refused outside NZ and AU as the API is, and its files answer only GET and HEAD', async () => {
    await expectEdgeRefusal(await send({ path: '/today', from: US }), 403, 'geo_blocked');
    await expectEdgeRefusal(await send({ path: '/assets/app-3f2a9c1b.js', from: US }), 403, 'geo_blocked');
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const reply = await send({ method, path: '/today', from: nz(), body: '{}' });
      expect({ method, status: reply.status, allow: reply.headers.allow }).toEqual({
        method,
        status: 405,
        allow: 'GET, HEAD',
      });
    }
    const head = await send({ method: 'HEAD', path: '/today', from: nz() });
    expect({ status: head.status, cache: head.headers['cache-control'] }).toEqual({
      status: 200,
      cache: 'no-store',
    });
  });

  // Last: it moves the US test range to AU for the rest of this nginx's life. The gateway's own
  // database is not changed, so the edge's access log shows what the edge decided.
  test('a GeoIP database the updater replaces takes effect without a restart, and a broken one is not loaded', async () => {
    const moved = '192.0.2.77';
    const countryAtEdge = async () => {
      const reply = await send({ path: '/api/v1/me', from: moved });
      return edgeLine(String(reply.headers['x-correlation-id']));
    };
    expect(await countryAtEdge()).toMatchObject({ country: 'US', upstream_status: '' });
    // nginx rereads a file newer than the one it has, to the second.
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    await sleep(Math.max(0, nginxStarted + 1_100 - Date.now()));
    // A new country (DE) changes the file's layout as a real update does: a stale cached lookup
    // (leev/ngx_http_geoip2_module#134, which the edge's config works around) would read garbage.
    await writeGeoIpDatabase(geoipDb, [
      '10.0.0.0/8=DE',
      ...TEST_NETWORKS.filter((network) => !network.endsWith('=US')),
      '192.0.2.0/24=AU',
    ]);
    // The same address again and again: the module's last-lookup cache must not hide the change.
    await waitFor(async () => (await countryAtEdge()).country === 'AU', {
      what: 'the edge to load the new GeoIP data',
      timeoutMs: 10_000,
    });
    expect(await countryAtEdge()).toMatchObject({ country: 'AU', upstream_status: '403' });

    // Written whole and renamed into place, as geoipupdate does, but not a database.
    await sleep(1_100);
    await writeFile(`${geoipDb}.new`, 'not a database');
    await rename(`${geoipDb}.new`, geoipDb);
    await waitFor(
      async () => {
        await send({ path: '/.well-known/security.txt', from: NZ });
        return (await readFile(errorLog, 'utf8')).includes('failed to reload');
      },
      { what: 'the refused reload in the error log', timeoutMs: 10_000 },
    );
    expect(await countryAtEdge()).toMatchObject({ country: 'AU' });
  });
});

describe("the edge's Kubernetes objects", () => {
  const podSpec = (deployment: Manifest) => at(deployment.spec, 'template', 'spec') as Json;
  const container = (deployment: Manifest) => (podSpec(deployment).containers as Json[])[0] as Json;

  test('the edge runs hardened exactly like the components, with probes on its own health port', async () => {
    const manifests = await render();
    const edge = find(manifests, 'Deployment', 'tracking-edge');
    const gateway = find(manifests, 'Deployment', 'tracking-gateway');
    expect(podSpec(edge).securityContext).toEqual(podSpec(gateway).securityContext);
    expect(container(edge).securityContext).toEqual(container(gateway).securityContext);
    expect(container(edge).securityContext).toMatchObject({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(podSpec(edge).automountServiceAccountToken).toBe(false);
    expect(
      find(manifests, 'ServiceAccount', String(podSpec(edge).serviceAccountName))
        .automountServiceAccountToken,
    ).toBe(false);
    expect(at(container(edge), 'resources', 'requests', 'memory')).toBeDefined();
    expect(at(container(edge), 'resources', 'limits', 'memory')).toBeDefined();
    expect(at(container(edge), 'startupProbe', 'httpGet')).toEqual({ path: '/healthz', port: 'health' });
    expect(at(container(edge), 'livenessProbe', 'httpGet')).toEqual({ path: '/healthz', port: 'health' });
    expect(at(container(edge), 'readinessProbe', 'httpGet')).toEqual({ path: '/readyz', port: 'health' });
    // The health port is not reachable through the Service.
    const service = find(manifests, 'Service', 'tracking-edge');
    expect((at(service.spec, 'ports') as Json[]).map((port) => port.targetPort)).toEqual(['https', 'http']);
    expect(service.spec).toMatchObject({ type: 'LoadBalancer', externalTrafficPolicy: 'Local' });
    expect(find(manifests, 'PodDisruptionBudget', 'tracking-edge').spec).toMatchObject({ maxUnavailable: 1 });
    // Writable /tmp only; the GeoIP volume is the gateway's claim, read-only.
    const mounts = container(edge).volumeMounts as { name: string; mountPath: string; readOnly?: boolean }[];
    expect(mounts.filter((mount) => !mount.readOnly).map((mount) => mount.mountPath)).toEqual(['/tmp']);
    expect((podSpec(edge).volumes as Json[]).find((volume) => volume.name === 'geoip')).toEqual({
      name: 'geoip',
      persistentVolumeClaim: { claimName: 'tracking-geoip', readOnly: true },
    });
    // A new nginx.conf rolls the pods.
    const conf = find(manifests, 'ConfigMap', 'tracking-edge').data?.['nginx.conf'] ?? '';
    expect(at(edge.spec, 'template', 'metadata', 'annotations', 'checksum/nginx-conf')).toMatch(
      /^[0-9a-f]{64}$/,
    );
    expect(conf).toContain('server tracking-gateway:8080;');
    expect(conf).toContain('load_module /usr/lib/nginx/modules/ngx_http_geoip2_module.so;');
  });

  test('the web app is a component like the others: hardened, its own account, its nginx.conf mounted read-only, for the edge only', async () => {
    const manifests = await render();
    const web = find(manifests, 'Deployment', 'tracking-web');
    const gateway = find(manifests, 'Deployment', 'tracking-gateway');
    expect(podSpec(web).securityContext).toEqual(podSpec(gateway).securityContext);
    expect(container(web).securityContext).toEqual(container(gateway).securityContext);
    expect(podSpec(web).serviceAccountName).toBe('tracking-web');
    expect(find(manifests, 'ServiceAccount', 'tracking-web').automountServiceAccountToken).toBe(false);
    // nginx with the chart's file; static files take no settings and no secrets.
    expect(container(web).command).toEqual(['nginx', '-e', 'stderr', '-c', '/etc/nginx/web/nginx.conf']);
    expect(container(web).env).toBeUndefined();
    expect(at(container(web), 'resources', 'requests', 'cpu')).toBeDefined();
    expect(at(container(web), 'resources', 'limits', 'memory')).toBeDefined();
    expect(at(container(web), 'readinessProbe', 'httpGet')).toEqual({ path: '/readyz', port: 'ops' });
    const mounts = container(web).volumeMounts as { name: string; mountPath: string; readOnly?: boolean }[];
    expect(mounts.filter((mount) => !mount.readOnly).map((mount) => mount.mountPath)).toEqual(['/tmp']);
    expect(mounts).toContainEqual({ name: 'site-config', mountPath: '/etc/nginx/web', readOnly: true });
    const siteConf = find(manifests, 'ConfigMap', 'tracking-web-site').data?.['nginx.conf'] ?? '';
    expect(siteConf).toContain('root /srv/web;');
    expect(at(web.spec, 'template', 'metadata', 'annotations', 'checksum/nginx-conf')).toMatch(
      /^[0-9a-f]{64}$/,
    );
    // Only the edge may connect to its files; it connects to nothing but DNS.
    const policy = find(manifests, 'NetworkPolicy', 'tracking-web');
    expect((policy.spec?.ingress as Json[])[0]).toEqual({
      from: [
        {
          podSelector: {
            matchLabels: { 'app.kubernetes.io/instance': 'tracking', 'app.kubernetes.io/component': 'edge' },
          },
        },
      ],
      ports: [{ port: 8090, protocol: 'TCP' }],
    });
    expect((policy.spec?.egress as Json[]).map((rule) => at(rule, 'ports', 0, 'port'))).toEqual([53]);
    // The edge sends it every path that is not the API's.
    const edgeConf = find(manifests, 'ConfigMap', 'tracking-edge').data?.['nginx.conf'] ?? '';
    expect(edgeConf).toContain('server tracking-web:8090;');
    // The HTTPS server's catch-all location (the first `location /`).
    expect(/location \/ \{([^]*?)\n {4}\}/.exec(edgeConf)?.[1]).toContain('proxy_pass https://edge_web;');
    // No Prometheus target: nginx serving files has no /metrics.
    const monitored = await render('observability.serviceMonitors.enabled=true');
    expect(monitored.filter((m) => m.kind === 'ServiceMonitor').map((m) => m.metadata.name)).not.toContain(
      'tracking-web',
    );
  });

  test('without the web component the edge sends every path to the gateway, as before the app existed', async () => {
    const manifests = await render('components.web.enabled=false');
    const conf = find(manifests, 'ConfigMap', 'tracking-edge').data?.['nginx.conf'] ?? '';
    expect(conf).not.toContain('edge_web');
    expect(/location \/ \{([^]*?)\n {4}\}/.exec(conf)?.[1]).toContain('proxy_pass https://edge_gateway;');
    const egress = find(manifests, 'NetworkPolicy', 'tracking-edge').spec?.egress as Json[];
    expect(egress.map((rule) => at(rule, 'ports', 0, 'port'))).toEqual([53, 8080, 8089]);
    expect(manifests.some((m) => m.metadata.name === 'tracking-web')).toBe(false);
  });

  test('the TLS certificate is a Secret the chart names and never makes, and no key is a value', async () => {
    const manifests = await render('edge.tls.existingSecret=app-example-tls');
    const edge = find(manifests, 'Deployment', 'tracking-edge');
    expect((podSpec(edge).volumes as Json[]).find((volume) => volume.name === 'tls')).toEqual({
      name: 'tls',
      secret: { secretName: 'app-example-tls', defaultMode: 0o440 },
    });
    expect(manifests.filter((manifest) => manifest.kind === 'Secret')).toEqual([]);
    const configMap = JSON.stringify(find(manifests, 'ConfigMap', 'tracking-edge').data);
    expect(configMap).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE/);
    await expect(render('edge.tls.certificate=-----BEGIN CERTIFICATE-----')).rejects.toThrow(/certificate/);
    await expect(render('edge.geoip.licenseKey=abc')).rejects.toThrow(/licenseKey/);
  });

  test('the edge may receive on its TLS and plain ports and send only to the gateway, the web app, billing and DNS', async () => {
    const policy = find(await render(), 'NetworkPolicy', 'tracking-edge');
    expect(policy.spec?.ingress).toEqual([
      {
        ports: [
          { port: 8443, protocol: 'TCP' },
          { port: 8080, protocol: 'TCP' },
        ],
      },
    ]);
    const egress = policy.spec?.egress as Json[];
    expect(egress.map((rule) => at(rule, 'ports', 0, 'port'))).toEqual([53, 8080, 8090, 8089]);
    expect(at(egress[1], 'to', 0, 'podSelector', 'matchLabels', 'app.kubernetes.io/component')).toBe(
      'gateway',
    );
    expect(at(egress[2], 'to', 0, 'podSelector', 'matchLabels', 'app.kubernetes.io/component')).toBe('web');
    // Billing's webhook port, for Stripe's webhooks.
    expect(at(egress[3], 'to', 0, 'podSelector', 'matchLabels', 'app.kubernetes.io/component')).toBe(
      'billing',
    );
  });

  test("Stripe's webhook route goes to billing's webhook port, from anyone by default, and disappears with billing", async () => {
    const conf = (manifests: Manifest[]) =>
      find(manifests, 'ConfigMap', 'tracking-edge').data?.['nginx.conf'] ?? '';
    const byDefault = conf(await render());
    expect(byDefault).toContain('server tracking-billing:8089;');
    expect(byDefault).toMatch(
      /location = \/webhooks\/stripe \{[^]*?proxy_pass https:\/\/edge_stripe_webhook;\s*proxy_ssl_name tracking-billing;/,
    );
    // No allow-list: every source address is accepted (the signature decides).
    expect(byDefault).toMatch(/geo \$edge_stripe_source \{\s*default 1;\s*\}/);
    // The webhook location never looks at the country.
    const location = /location = \/webhooks\/stripe \{([^]*?)\n {4}\}/.exec(byDefault)?.[1] ?? '';
    expect(location).toContain('client_max_body_size 256k;');
    expect(location).not.toContain('edge_country_allowed');

    for (const off of [['components.billing.enabled=false'], ['edge.stripeWebhook.enabled=false']]) {
      const manifests = await render(...off);
      expect({ off, route: conf(manifests).includes('/webhooks/stripe') }).toEqual({ off, route: false });
      const egress = find(manifests, 'NetworkPolicy', 'tracking-edge').spec?.egress as Json[];
      expect(egress.map((rule) => at(rule, 'ports', 0, 'port'))).toEqual([53, 8080, 8090]);
    }
    await expect(render('edge.stripeWebhook.allowFrom={stripe.com}')).rejects.toThrow(/allowFrom/);
  });

  test('with the Gateway API, TLS passes through to the edge and plain HTTP pages are redirected', async () => {
    const manifests = await render(
      'edge.gatewayApi.enabled=true',
      'edge.gatewayApi.gatewayClassName=eg',
      'edge.gatewayApi.hostnames={app.example.com}',
      'edge.service.type=ClusterIP',
    );
    const gateway = find(manifests, 'Gateway', 'tracking-edge');
    expect(gateway.spec).toMatchObject({
      gatewayClassName: 'eg',
      listeners: [
        {
          name: 'tls-0',
          hostname: 'app.example.com',
          protocol: 'TLS',
          port: 443,
          tls: { mode: 'Passthrough' },
        },
        { name: 'http-0', hostname: 'app.example.com', protocol: 'HTTP', port: 80 },
      ],
    });
    expect(find(manifests, 'TLSRoute', 'tracking-edge').spec).toMatchObject({
      hostnames: ['app.example.com'],
      rules: [{ backendRefs: [{ name: 'tracking-edge', port: 443 }] }],
    });
    const rules = find(manifests, 'HTTPRoute', 'tracking-edge-http').spec?.rules as Json[];
    // The API over HTTP goes to the edge, which refuses it; a page GET or HEAD is redirected.
    expect(rules[0]).toEqual({
      matches: [{ path: { type: 'PathPrefix', value: '/api' } }],
      backendRefs: [{ name: 'tracking-edge', port: 80 }],
    });
    expect(rules[1]).toMatchObject({
      matches: [{ method: 'GET' }, { method: 'HEAD' }],
      filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https' } }],
    });
    expect(find(manifests, 'Service', 'tracking-edge').spec).not.toHaveProperty('externalTrafficPolicy');
    await expect(render('edge.gatewayApi.enabled=true')).rejects.toThrow(/gatewayClassName is required/);
  });

  test("the hops behind the edge are TLS 1.3 with the edge's certificate, each upstream's checked by its Service name", async () => {
    const manifests = await render();
    const edgeConf = find(manifests, 'ConfigMap', 'tracking-edge').data?.['nginx.conf'] ?? '';
    const mtls = '/var/run/secrets/tracking/mtls';
    // The edge's own certificate, read at each new connection (a variable), and the CA.
    expect(edgeConf).toMatch(
      new RegExp(`map \\$server_port \\$edge_hop_certificate \\{\\s*default ${mtls}/tls\\.crt;`),
    );
    expect(edgeConf).toContain('proxy_ssl_certificate $edge_hop_certificate;');
    expect(edgeConf).toContain(`proxy_ssl_trusted_certificate ${mtls}/ca.crt;`);
    expect(edgeConf).toContain('proxy_ssl_verify on;');
    expect(edgeConf).toContain('proxy_ssl_protocols TLSv1.3;');
    expect(edgeConf).not.toMatch(/proxy_pass http:/);
    // Every hand-over names the certificate it expects: the upstream Service's own name.
    const passes = [...edgeConf.matchAll(/proxy_pass (\S+);\s*proxy_ssl_name (\S+);/g)].map(
      ([, to, name]) => [to, name],
    );
    expect(new Set(passes.map((pass) => pass.join(' ')))).toEqual(
      new Set([
        'https://edge_gateway tracking-gateway',
        'https://edge_web tracking-web',
        'https://edge_stripe_webhook tracking-billing',
      ]),
    );
    expect(passes).toHaveLength(edgeConf.match(/proxy_pass /g)?.length ?? 0);

    // The web app serves TLS and answers the edge's certificate alone.
    const webConf = find(manifests, 'ConfigMap', 'tracking-web-site').data?.['nginx.conf'] ?? '';
    expect(webConf).toContain('listen 8090 ssl;');
    expect(webConf).toContain(`ssl_client_certificate ${mtls}/ca.crt;`);
    expect(webConf).toContain('ssl_verify_client optional;');
    expect(webConf).toMatch(/"1:edge" "";/);

    // Only a developer's cluster without cert-manager goes plain, and the schema keeps that out of
    // production (tests/chart/zero-trust.test.ts).
    const plain = await render('global.grpc.plaintextForDevelopment=true');
    const plainConf = find(plain, 'ConfigMap', 'tracking-edge').data?.['nginx.conf'] ?? '';
    expect(plainConf).not.toContain('proxy_ssl');
    expect(plainConf).toContain('proxy_pass http://edge_gateway;');
    expect(find(plain, 'ConfigMap', 'tracking-web-site').data?.['nginx.conf']).toContain('listen 8090;');
  });

  test('edge values outside the schema are refused', async () => {
    await expect(render('edge.ratelimit.rate=5r/s')).rejects.toThrow(/ratelimit/);
    await expect(render('edge.geoip.allowedCountries={nz}')).rejects.toThrow(/allowedCountries/);
    await expect(render('edge.adminAllowedCidrs={10.0.0.0/8;}')).rejects.toThrow(/adminAllowedCidrs/);
    await expect(render('edge.rateLimit.rate=lots')).rejects.toThrow(/rate/);
    await expect(render('edge.ports.https=443')).rejects.toThrow(/https/);
  });
});
