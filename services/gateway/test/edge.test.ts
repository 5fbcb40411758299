import { request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { closeServer, createClient, createMetrics, listen } from '@tracking/kit';
import { AuditServiceClient } from '@tracking/proto/tracking/audit/v1/audit';
import { AuthServiceClient } from '@tracking/proto/tracking/auth/v1/auth';
import { captureLogger } from '@tracking/testing';

import { createApp } from '../src/app';
import { readConfig } from '../src/config';
import type { EdgeOptions } from '../src/deps';
import { CLIENT, testEdge, viaIngress } from './edge-support';
import { offlineTracking } from './offline-services';

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  problem: Record<string, unknown>;
}

// The gateway in process on 127.0.0.1, trusting 127.0.0.1 as its ingress, with the test
// country database. Requests go over real sockets, some from other loopback addresses
// (127.0.0.2, 127.0.0.3), which the gateway must treat as untrusted clients.
describe("the gateway's edge defences", () => {
  const { log, lines } = captureLogger('gateway');
  const auth = createClient(AuthServiceClient, '127.0.0.1:1', { tls: {}, deadlineMs: 500 });
  const audit = createClient(AuditServiceClient, '127.0.0.1:1', { tls: {}, deadlineMs: 500 });
  const servers: Server[] = [];

  async function start(
    edge: Partial<EdgeOptions> = {},
    trustedProxies = ['127.0.0.1'],
  ): Promise<{ port: number; metrics: ReturnType<typeof createMetrics> }> {
    const metrics = createMetrics();
    const server = await listen(
      createApp({
        auth,
        audit,
        ...(await offlineTracking()),
        log,
        metrics,
        trustedProxies,
        longCallDeadlineMs: 500,
        edge: await testEdge(edge),
      }),
      '127.0.0.1',
      0,
    );
    servers.push(server);
    return { port: (server.address() as AddressInfo).port, metrics };
  }

  afterAll(async () => {
    auth.close();
    audit.close();
    await Promise.all(servers.map((server) => closeServer(server)));
  });

  /** One request over its own socket, from `from` (a loopback address), with exactly these headers. */
  function send(
    port: number,
    path: string,
    options: { method?: string; headers?: Record<string, string>; from?: string; body?: unknown } = {},
  ): Promise<Reply> {
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path,
          method: options.method ?? 'GET',
          localAddress: options.from ?? '127.0.0.1',
          agent: false,
          headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...options.headers },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              text,
              problem: /problem\+json/.test(res.headers['content-type'] ?? '')
                ? (JSON.parse(text) as Record<string, unknown>)
                : {},
            }),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  const blockedCount = async (metrics: ReturnType<typeof createMetrics>, country: string) => {
    const metric = metrics.registry.getSingleMetric('gateway_geo_blocked_total');
    const values = (await metric?.get())?.values ?? [];
    return values.find((value) => value.labels.country === country)?.value ?? 0;
  };

  test('every response carries HSTS for two years, a strict CSP, nosniff, no referrer and no framing', async () => {
    const { port } = await start();
    const answered = await send(port, '/api/v1/nope', { headers: viaIngress() });
    const refused = await send(port, '/api/v1/nope', { headers: viaIngress(CLIENT.us) });
    expect([answered.status, refused.status]).toEqual([404, 403]);
    for (const { headers } of [answered, refused]) {
      expect(headers['strict-transport-security']).toBe('max-age=63072000; includeSubDomains');
      expect(headers['x-content-type-options']).toBe('nosniff');
      expect(headers['referrer-policy']).toBe('no-referrer');
      expect(headers['x-frame-options']).toBe('DENY');
      const csp = new Map(
        String(headers['content-security-policy'])
          .split(';')
          .map((directive) => directive.trim().split(/\s+/))
          .map(([name = '', ...values]) => [name, values.join(' ')]),
      );
      expect(csp.get('default-src')).toBe("'self'");
      // No 'unsafe-inline' or 'unsafe-eval' anywhere: inline script cannot run.
      expect(csp.get('script-src')).toBe("'self'");
      expect(csp.get('script-src-attr')).toBe("'none'");
      expect(csp.get('frame-ancestors')).toBe("'none'");
      expect(csp.get('object-src')).toBe("'none'");
      expect(csp.get('base-uri')).toBe("'none'");
      expect(csp.get('form-action')).toBe("'self'");
      expect(String(headers['content-security-policy'])).not.toMatch(/unsafe-/);
    }
  });

  test('the API over plain HTTP is refused with a 403 problem, never redirected', async () => {
    const { port } = await start();
    // The ingress says the client came over plain HTTP, or says nothing about the scheme.
    for (const headers of [
      { ...viaIngress(), 'x-forwarded-proto': 'http' },
      { 'x-forwarded-for': CLIENT.nz },
    ]) {
      const refused = await send(port, '/api/v1/auth/login', {
        method: 'POST',
        headers,
        body: { email: 'a@example.test', password: 'x' },
      });
      expect(refused.status).toBe(403);
      expect(refused.headers.location).toBeUndefined();
      expect(refused.problem).toMatchObject({
        type: 'urn:tracking:problem:https_required',
        status: 403,
        code: 'https_required',
      });
      expect(refused.problem.correlationId).toBe(refused.headers['x-correlation-id']);
    }
    // Express routes ignore case, and so does the refusal.
    const shouted = await send(port, '/API/v1/me', { headers: { 'x-forwarded-for': CLIENT.nz } });
    expect(shouted).toMatchObject({ status: 403, problem: { code: 'https_required' } });
  });

  test('a browser asking for a page over plain HTTP is redirected to the same URL over HTTPS', async () => {
    const { port } = await start();
    const page = await send(port, '/meals/today?tab=2', {
      headers: { host: 'app.example.test', 'x-forwarded-for': CLIENT.nz },
    });
    expect(page.status).toBe(308);
    expect(page.headers.location).toBe('https://app.example.test/meals/today?tab=2');

    // A Host that is not a plain name cannot steer the redirect elsewhere; a form post is not redirected.
    const steered = await send(port, '/x', {
      headers: { host: 'evil.example@app.example.test', 'x-forwarded-for': CLIENT.nz },
    });
    expect(steered).toMatchObject({ status: 403, problem: { code: 'https_required' } });
    const posted = await send(port, '/signin', {
      method: 'POST',
      headers: { host: 'app.example.test', 'x-forwarded-for': CLIENT.nz },
      body: {},
    });
    expect(posted).toMatchObject({ status: 403, problem: { code: 'https_required' } });
  });

  test('X-Forwarded-Proto from a peer that is not a trusted proxy is ignored', async () => {
    const { port } = await start();
    // 127.0.0.3 is in NZ in the test database, so only the scheme stands in its way.
    const spoofed = await send(port, '/api/v1/nope', { from: '127.0.0.3', headers: viaIngress() });
    expect(spoofed).toMatchObject({ status: 403, problem: { code: 'https_required' } });
  });

  test('security.txt says the configured contacts, expiry, policy and languages, as RFC 9116 asks', async () => {
    const expires = new Date('2031-03-01T00:00:00.000Z');
    const { port } = await start({
      securityTxt: {
        contacts: ['mailto:security@example.test', 'https://example.test/report'],
        expires,
        policy: 'https://example.test/disclosure',
        languages: ['en', 'mi'],
      },
    });
    const served = await send(port, '/.well-known/security.txt', { headers: viaIngress() });
    expect(served.status).toBe(200);
    expect(served.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(served.text).toBe(
      [
        'Contact: mailto:security@example.test',
        'Contact: https://example.test/report',
        'Expires: 2031-03-01T00:00:00.000Z',
        'Policy: https://example.test/disclosure',
        'Preferred-Languages: en, mi',
        '',
      ].join('\n'),
    );

    // A researcher anywhere can read it: it is exempt from GeoIP, not from HTTPS.
    const fromAbroad = await send(port, '/.well-known/security.txt', { headers: viaIngress(CLIENT.us) });
    expect(fromAbroad).toMatchObject({ status: 200, text: served.text });
    const plain = await send(port, '/.well-known/security.txt', {
      headers: { host: 'app.example.test', 'x-forwarded-for': CLIENT.us },
    });
    expect(plain.status).toBe(308);
    expect(plain.headers.location).toBe('https://app.example.test/.well-known/security.txt');
  });

  test('the gateway will not start with a security.txt expiry in the past, or a contact that is not a URI', () => {
    const env = {
      AUTH_GRPC_ADDR: '127.0.0.1:1',
      AUDIT_GRPC_ADDR: '127.0.0.1:1',
      TRACKING_GRPC_ADDR: '127.0.0.1:1',
      AI_GRPC_ADDR: '127.0.0.1:1',
      BILLING_GRPC_ADDR: '127.0.0.1:1',
      BACKUP_GRPC_ADDR: '127.0.0.1:1',
      PRIVACY_GRPC_ADDR: '127.0.0.1:1',
      DATABASE_URL: 'postgres://gateway_app@127.0.0.1:1/gateway?sslmode=verify-full&sslrootcert=/ca.crt',
      PRINCIPAL_SIGNING_KEY_FILE: '/secrets/principal.pem',
      GEOIP_DB_FILE: '/geoip/country.mmdb',
      SECURITY_CONTACT: 'mailto:security@example.test',
      SECURITY_TXT_EXPIRES: new Date(Date.now() + 86_400_000).toISOString(),
    };
    const config = readConfig(env);
    expect(config.SECURITY_CONTACT).toEqual(['mailto:security@example.test']);
    expect(config.SECURITY_LANGUAGES).toEqual(['en']);
    expect(config.GEOIP_ALLOWED_COUNTRIES).toEqual(['NZ', 'AU']);
    expect(config.ADMIN_ALLOWED_CIDRS).toEqual([]);

    const yesterday = new Date(Date.now() - 86_400_000).toISOString();
    expect(() => readConfig({ ...env, SECURITY_TXT_EXPIRES: yesterday })).toThrow(
      /SECURITY_TXT_EXPIRES: is in the past/,
    );
    expect(() => readConfig({ ...env, SECURITY_TXT_EXPIRES: '2020-01-01' })).toThrow(/SECURITY_TXT_EXPIRES/);
    expect(() => readConfig({ ...env, SECURITY_TXT_EXPIRES: 'next year' })).toThrow(/SECURITY_TXT_EXPIRES/);
    expect(() => readConfig({ ...env, SECURITY_CONTACT: 'security@example.test' })).toThrow(
      /SECURITY_CONTACT/,
    );
    expect(() => readConfig({ ...env, SECURITY_POLICY_URL: 'http://example.test/policy' })).toThrow(
      /SECURITY_POLICY_URL/,
    );
    // No GeoIP database, no gateway: there is no switch to run without one.
    expect(() => readConfig({ ...env, GEOIP_DB_FILE: undefined })).toThrow(/GEOIP_DB_FILE/);
    expect(() => readConfig({ ...env, ADMIN_ALLOWED_CIDRS: '10.0.0.0/33' })).toThrow(/ADMIN_ALLOWED_CIDRS/);
  });

  test('clients in NZ and AU pass; US and unplaceable addresses get a 403 problem and are counted', async () => {
    const { port, metrics } = await start();
    for (const client of [CLIENT.nz, CLIENT.au, CLIENT.nzV6, CLIENT.auV6]) {
      const passed = await send(port, '/api/v1/nope', { headers: viaIngress(client) });
      expect({ client, status: passed.status, code: passed.problem.code }).toEqual({
        client,
        status: 404,
        code: 'not_found',
      });
    }
    for (const [client, country] of [
      [CLIENT.us, 'US'],
      [CLIENT.usV6, 'US'],
      [CLIENT.nowhere, 'unknown'],
    ] as const) {
      const before = await blockedCount(metrics, country);
      const refused = await send(port, '/api/v1/auth/login', {
        method: 'POST',
        headers: viaIngress(client),
        body: { email: 'a@example.test', password: 'x' },
      });
      expect({ client, status: refused.status }).toEqual({ client, status: 403 });
      expect(refused.problem).toMatchObject({
        type: 'urn:tracking:problem:geo_blocked',
        status: 403,
        code: 'geo_blocked',
      });
      expect(await blockedCount(metrics, country)).toBe(before + 1);
    }
    expect(await metrics.registry.metrics()).toMatch(/^gateway_geo_blocked_total\{country="US"\} 2$/m);
  });

  test('a spoofed X-Forwarded-For is ignored: from an untrusted peer, and beyond the trusted hop', async () => {
    const { port, metrics } = await start();
    // From 127.0.0.2, which is no proxy of ours and in no country: the NZ address it claims is ignored.
    const direct = await send(port, '/api/v1/nope', { from: '127.0.0.2', headers: viaIngress(CLIENT.nz) });
    expect(direct).toMatchObject({ status: 403, problem: { code: 'geo_blocked' } });
    expect(await blockedCount(metrics, 'unknown')).toBe(1);

    // Through the ingress, a client in the US that wrote an NZ address into the header itself:
    // the ingress appends the address it saw, and that is the one that counts.
    const planted = await send(port, '/api/v1/nope', {
      headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': `${CLIENT.nz}, ${CLIENT.us}` },
    });
    expect(planted).toMatchObject({ status: 403, problem: { code: 'geo_blocked' } });
    expect(await blockedCount(metrics, 'US')).toBe(1);

    // The same headers from the trusted ingress with a genuine NZ client pass.
    expect((await send(port, '/api/v1/nope', { headers: viaIngress(CLIENT.nz) })).status).toBe(404);
  });

  test('with TRUSTED_PROXY_HOPS only that many trusted hops are walked back', async () => {
    const chain = { 'x-forwarded-proto': 'https', 'x-forwarded-for': `${CLIENT.nz}, 10.1.2.3` };
    // 10.0.0.0/8 is a trusted inner proxy: without a hop limit, the walk goes past it to the NZ client.
    const unlimited = await start({}, ['127.0.0.1', '10.0.0.0/8']);
    expect((await send(unlimited.port, '/api/v1/nope', { headers: chain })).status).toBe(404);
    // With one hop, the client is whoever reached the ingress: 10.1.2.3, in no country.
    const oneHop = await start({ trustedProxyHops: 1 }, ['127.0.0.1', '10.0.0.0/8']);
    expect(await send(oneHop.port, '/api/v1/nope', { headers: chain })).toMatchObject({
      status: 403,
      problem: { code: 'geo_blocked' },
    });
  });

  test('the admin API is refused outside ADMIN_ALLOWED_CIDRS, and from everywhere when the list is empty', async () => {
    const { port } = await start({ adminAllowedCidrs: ['203.0.113.0/28', '2001:db8:2::/64'] });
    const setRole = (client: string) =>
      send(port, `/api/v1/admin/users/${crypto.randomUUID()}/role`, {
        method: 'PUT',
        headers: { ...viaIngress(client), authorization: 'Bearer some-admin-token' },
        body: { role: 'trainer' },
      });

    // 203.0.113.200 is in NZ, so GeoIP lets it in, but it is outside the admin networks.
    const outside = await setRole('203.0.113.200');
    expect(outside).toMatchObject({ status: 403, problem: { code: 'permission_denied' } });
    expect(outside.problem.detail).toMatch(/not available from this network/);
    expect(lines()).toContainEqual(
      expect.objectContaining({ event: 'edge.admin_network_refused', clientIp: '203.0.113.200' }),
    );
    // Case games do not get around it.
    expect(
      (await send(port, '/API/V1/ADMIN/audit/entries', { headers: viaIngress('203.0.113.200') })).status,
    ).toBe(403);
    // The public API is not affected.
    expect((await send(port, '/api/v1/nope', { headers: viaIngress('203.0.113.200') })).status).toBe(404);

    // From inside, the request reaches the route, which asks auth (down here: 503).
    for (const client of ['203.0.113.5', '2001:db8:2::5']) {
      expect(await setRole(client)).toMatchObject({ status: 503, problem: { code: 'unavailable' } });
    }

    const closed = await start({ adminAllowedCidrs: [] });
    const anywhere = await send(closed.port, '/api/v1/admin/audit/entries', { headers: viaIngress() });
    expect(anywhere).toMatchObject({ status: 403, problem: { code: 'permission_denied' } });
  });
});
