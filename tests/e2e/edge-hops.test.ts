import { createHmac } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { request, type RequestOptions } from 'node:https';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { createLogger, createMetrics, listen, type HttpTlsFiles } from '@tracking/kit';
import {
  createTestPki,
  grpcClientTls,
  startEdge,
  waitFor,
  writeLoopbackGeoIpDatabase,
  type Edge,
  type TestPki,
} from '@tracking/testing';
import { jsonLines, startPlatform, type Platform } from '@tracking/testing/platform';
import express from 'express';

/** A stand-in for the web app's build: index.html, a hashed asset, the web manifest. */
const WEB_ROOT = path.join(__dirname, 'fixtures', 'web');

interface Reply {
  status: number;
  body: string;
}

/** One HTTPS request with its own TLS settings (a fresh connection each time). */
function send(
  url: string,
  tls: RequestOptions,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? 'GET', agent: false, headers: options.headers, ...tls },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** A client that presents `component`'s certificate from the platform's PKI, and trusts its CA. */
async function asComponent(component: string, pki: string): Promise<RequestOptions> {
  const files = grpcClientTls(component, pki);
  const [ca, cert, key] = await Promise.all(
    [files.caFile, files.certFile, files.keyFile].map((file) => readFile(file)),
  );
  return { ca, cert, key };
}

/** A Stripe-signed delivery of an event billing does not act on, as Stripe signs it (v1 scheme). */
function signedDelivery(secret: string): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify({
    id: `evt_edgehops${String(Date.now())}`,
    object: 'event',
    type: 'customer.created',
    api_version: '2025-01-27.acacia',
    created: Math.floor(Date.now() / 1000),
    data: { object: { id: 'cus_edgehops', object: 'customer' } },
  });
  const timestamp = Math.floor(Date.now() / 1000);
  const signature = createHmac('sha256', secret)
    .update(`${String(timestamp)}.${body}`)
    .digest('hex');
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'stripe-signature': `t=${String(timestamp)},v1=${signature}`,
    },
  };
}

describe('the hops behind the edge: TLS with the edge certificate, and nobody else served', () => {
  let platform: Platform | undefined;
  let edge: Edge | undefined;
  /** The platform's own PKI, so the test can issue an expired edge certificate from its CA. */
  let testPki: TestPki | undefined;
  /** Another CA, whose edge certificate nobody behind the edge may accept. */
  let otherPki: TestPki | undefined;
  let geoipDir = '';

  const setup = () => {
    if (!platform?.pki || !platform.billing || !edge || !testPki || !otherPki) {
      throw new Error('the platform or the edge did not start');
    }
    return { platform, pki: platform.pki, billing: platform.billing, edge, testPki, otherPki };
  };

  beforeAll(async () => {
    geoipDir = mkdtempSync(path.join(tmpdir(), 'edge-hops-'));
    // Through the edge the gateway sees the client as 127.0.0.1: loopback is in NZ here too.
    const geoip = await writeLoopbackGeoIpDatabase(path.join(geoipDir, 'geoip.mmdb'));
    [testPki, otherPki] = await Promise.all([createTestPki(), createTestPki()]);
    platform = await startPlatform({
      ai: false,
      billing: true,
      httpTls: true,
      pki: testPki.dir,
      gatewayEnv: { GEOIP_DB_FILE: geoip },
    });
    const billing = platform.billing;
    if (!billing) throw new Error('the platform started without billing');
    edge = await startEdge({
      gateway: new URL(platform.api).origin,
      webRoot: WEB_ROOT,
      stripeWebhook: new URL(billing.webhookUrl).host,
      pki: platform.pki,
    });
  });

  afterAll(async () => {
    await edge?.stop();
    await platform?.stop();
    await Promise.all([testPki?.remove(), otherPki?.remove()]);
    await rm(geoipDir, { recursive: true, force: true });
  });

  test("through the edge, the API, the app and Stripe's webhook are answered over the TLS hops", async () => {
    const { edge, billing } = setup();
    const viaEdge = { ca: edge.ca };
    const registered = await send(`${edge.url}/api/v1/auth/register`, viaEdge, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        email: `hops-${String(Date.now())}@example.test`,
        password: 'correct horse battery staple',
        displayName: 'Hops',
      }),
    });
    expect(registered.status).toBe(201);

    const page = await send(`${edge.url}/today`, viaEdge);
    expect(page).toMatchObject({ status: 200, body: expect.stringContaining('<!doctype html>') as string });

    const delivery = signedDelivery(billing.webhookSecret);
    const webhook = await send(`${edge.url}/webhooks/stripe`, viaEdge, { method: 'POST', ...delivery });
    expect(webhook).toMatchObject({
      status: 200,
      body: expect.stringContaining('"received":true') as string,
    });

    // The edge's access log: each came back from its upstream, none was the edge's own 503.
    const lines = await jsonLines(edge.accessLog);
    expect(
      lines.filter((line) =>
        ['/api/v1/auth/register', '/today', '/webhooks/stripe'].includes(String(line.path)),
      ),
    ).toEqual([
      expect.objectContaining({ status: '201', upstream_status: '201' }),
      expect.objectContaining({ status: '200', upstream_status: '200' }),
      expect.objectContaining({ status: '200', upstream_status: '200' }),
    ]);
  });

  /** The three listeners behind the edge, as a client that is not the edge reaches them directly. */
  const targets = () => {
    const { platform, billing, edge } = setup();
    return [
      {
        name: 'gateway',
        url: `${platform.api}/auth/session`,
        log: platform.logFile('gateway'),
        ops: platform.opsUrls.gateway,
      },
      {
        name: 'billing',
        url: billing.webhookUrl,
        log: platform.logFile('billing'),
        ops: platform.opsUrls.billing,
      },
      { name: 'web', url: `https://localhost:${String(edge.ports.web)}/`, log: edge.webLog, ops: undefined },
    ];
  };

  const refusalIn = async (log: string, correlationId: string) =>
    (await jsonLines(log)).find(
      (line) => line.event === 'http.refused' && line.correlation_id === correlationId,
    );

  const counted = async (ops: string | undefined, reason: string) => {
    if (!ops) return undefined;
    const text = await (await fetch(`${ops}/metrics`)).text();
    return Number(
      new RegExp(`^http_refused_total\\{reason="${reason}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 'NaN',
    );
  };

  test('the gateway, billing and the web app refuse a client without a certificate: 401, logged and counted', async () => {
    const { pki } = setup();
    const { ca } = await asComponent('edge', pki);
    for (const target of targets()) {
      const correlationId = `no-cert-${target.name}-0001`;
      const before = await counted(target.ops, 'client_certificate_invalid');
      const reply = await send(target.url, { ca }, { headers: { 'x-correlation-id': correlationId } });
      expect({ target: target.name, status: reply.status }).toEqual({ target: target.name, status: 401 });
      expect(JSON.parse(reply.body)).toMatchObject({ code: 'unauthenticated' });
      const line = await waitFor(() => refusalIn(target.log, correlationId), {
        what: `${target.name}'s http.refused`,
      });
      expect(line).toMatchObject({ reason: 'client_certificate_invalid', caller: 'none', security: true });
      if (before !== undefined)
        expect(await counted(target.ops, 'client_certificate_invalid')).toBe(before + 1);
    }
  });

  test("and another component's certificate from the same CA: 403, naming the caller, logged and counted", async () => {
    const { pki } = setup();
    for (const [target, component] of targets().map(
      (t, i) => [t, ['billing', 'gateway', 'auth'][i] ?? 'auth'] as const,
    )) {
      const correlationId = `wrong-caller-${target.name}-01`;
      const before = await counted(target.ops, 'caller_not_allowed');
      const reply = await send(target.url, await asComponent(component, pki), {
        headers: { 'x-correlation-id': correlationId },
      });
      expect({ target: target.name, status: reply.status }).toEqual({ target: target.name, status: 403 });
      const line = await waitFor(() => refusalIn(target.log, correlationId), {
        what: `${target.name}'s http.refused`,
      });
      expect(line).toMatchObject({ reason: 'caller_not_allowed', caller: component });
      if (before !== undefined) expect(await counted(target.ops, 'caller_not_allowed')).toBe(before + 1);
    }
  });

  test("an edge certificate from another CA, or the edge's own once expired, is refused by each: 401, logged", async () => {
    const { pki, testPki, otherPki } = setup();
    const { ca } = await asComponent('edge', pki);
    const files = async (issued: Promise<{ certFile: string; keyFile: string }>) => {
      const { certFile, keyFile } = await issued;
      return { ca, cert: await readFile(certFile), key: await readFile(keyFile) };
    };
    const clients = {
      'other-ca': await files(testPki.issue('edge', { ca: otherPki })),
      expired: await files(testPki.issue('edge', { days: -1 })),
    };
    for (const target of targets()) {
      for (const [kind, client] of Object.entries(clients)) {
        const correlationId = `${kind}-${target.name}-0001`;
        const reply = await send(target.url, client, { headers: { 'x-correlation-id': correlationId } });
        expect({ target: target.name, kind, status: reply.status }).toEqual({
          target: target.name,
          kind,
          status: 401,
        });
        expect(JSON.parse(reply.body)).toMatchObject({ code: 'unauthenticated' });
        const line = await waitFor(() => refusalIn(target.log, correlationId), {
          what: `${target.name}'s http.refused`,
        });
        expect(line).toMatchObject({ reason: 'client_certificate_invalid', caller: 'none' });
      }
    }
  });

  test('plain HTTP to the gateway is not served', async () => {
    const { platform } = setup();
    const plain = new URL(platform.api);
    plain.protocol = 'http:';
    const answer = await fetch(plain).then(
      (response) => response.status,
      () => 'refused',
    );
    expect(answer).not.toBe(200);
    expect(answer === 'refused' || answer === 400).toBe(true);
  });

  describe("nginx verifies the upstream's certificate", () => {
    const extra: Edge[] = [];

    afterAll(async () => {
      await Promise.all(extra.map((started) => started.stop()));
    });

    test('a certificate that does not carry the name the edge expects (proxy_ssl_name) is a 503', async () => {
      const { platform } = setup();
      const misnamed = await startEdge({
        gateway: new URL(platform.api).origin,
        webRoot: WEB_ROOT,
        pki: platform.pki,
        // The name of the gateway's Service in a cluster: the local certificate names localhost.
        set: ['edge.upstreamTls.serverName=tracking-gateway'],
      });
      extra.push(misnamed);
      const reply = await send(`${misnamed.url}/api/v1/auth/session`, { ca: misnamed.ca });
      expect(reply.status).toBe(503);
      expect(await readFile(misnamed.errorLogs.edge, 'utf8')).toContain(
        'upstream SSL certificate does not match',
      );
    });

    test('a certificate from another CA is a 503, and the impostor gets no request', async () => {
      const { platform, otherPki } = setup();
      const impostorFiles: HttpTlsFiles = grpcClientTls('gateway', otherPki.dir);
      const received: string[] = [];
      const app = express();
      app.use((req, res) => {
        received.push(req.url);
        res.json({ impostor: true });
      });
      const impostor = await listen(app, '127.0.0.1', 0, {
        // It would even accept the edge's certificate: only the edge's check can refuse it.
        files: { ...impostorFiles, caFile: grpcClientTls('edge', platform.pki).caFile },
        allowedCallers: ['edge'],
        refreshMs: 60_000,
        log: createLogger({ service: 'impostor', level: 'error' }),
        metrics: createMetrics(),
      });
      try {
        const port = (impostor.address() as { port: number }).port;
        const fooled = await startEdge({
          gateway: `https://localhost:${String(port)}`,
          webRoot: WEB_ROOT,
          pki: platform.pki,
        });
        extra.push(fooled);
        const reply = await send(`${fooled.url}/api/v1/auth/session`, { ca: fooled.ca });
        expect(reply.status).toBe(503);
        expect(await readFile(fooled.errorLogs.edge, 'utf8')).toContain(
          'upstream SSL certificate verify error',
        );
        expect(received).toEqual([]);
      } finally {
        impostor.close();
      }
    });
  });
});
