import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import {
  createTestDatabase,
  grpcServiceEnv,
  randomName,
  startProcess,
  waitFor,
  type ManagedProcess,
  type TestDatabase,
} from '@tracking/testing';
import {
  freePort,
  INGRESS_HEADERS,
  TEST_NETWORKS,
  writeGeoIpDatabase,
  writePrincipalKeys,
} from '@tracking/testing/platform';

const ROOT = path.resolve(__dirname, '..', '..');

/**
 * The gateway process as it boots from its settings, alone: the edge answers before any route
 * calls auth, so no other service is needed. Ready means live here (/healthz); /readyz would
 * wait for auth.
 */
describe("the running gateway's edge", () => {
  const dir = path.join(tmpdir(), randomName('edge-'));
  const geoipDb = path.join(dir, 'geoip.mmdb');
  const processes: ManagedProcess[] = [];
  let base = '';
  let ops = '';
  let logFile = '';
  let principalKey = '';
  let gatewayDb: TestDatabase | undefined;

  const settings = () => ({
    AUTH_GRPC_ADDR: '127.0.0.1:1',
    AUDIT_GRPC_ADDR: '127.0.0.1:1',
    TRACKING_GRPC_ADDR: '127.0.0.1:1',
    AI_GRPC_ADDR: '127.0.0.1:1',
    BILLING_GRPC_ADDR: '127.0.0.1:1',
    BACKUP_GRPC_ADDR: '127.0.0.1:1',
    PRIVACY_GRPC_ADDR: '127.0.0.1:1',
    PRINCIPAL_SIGNING_KEY_FILE: principalKey,
    DATABASE_URL: gatewayDb?.appUrl ?? '',
    OTEL_SDK_DISABLED: 'true',
    TRUSTED_PROXIES: '127.0.0.1',
    GEOIP_DB_FILE: geoipDb,
    ADMIN_ALLOWED_CIDRS: '203.0.113.0/24',
    SECURITY_CONTACT: 'mailto:security@example.test,https://example.test/report',
    SECURITY_POLICY_URL: 'https://example.test/disclosure',
    SECURITY_TXT_EXPIRES: '2031-03-01',
    SECURITY_LANGUAGES: 'en,mi',
    // Its certificate for gRPC (no call reaches a service here). This file is about the gateway's
    // own defences, tested over plain HTTP with the development flag; edge-hops.test.ts runs it
    // behind the edge over TLS.
    ...grpcServiceEnv('gateway'),
    HTTP_ALLOW_PLAINTEXT: 'true',
  });

  async function startGateway(env: Record<string, string>) {
    const [http, opsPort] = await Promise.all([freePort(), freePort()]);
    const started = await startProcess({
      name: 'gateway-edge',
      entry: path.join(ROOT, 'services', 'gateway', 'src', 'main.ts'),
      env: { HTTP_PORT: String(http), OPS_PORT: String(opsPort), ...env },
      readyUrl: `http://127.0.0.1:${opsPort}/healthz`,
    });
    processes.push(started);
    return { started, base: `http://127.0.0.1:${http}`, ops: `http://127.0.0.1:${opsPort}` };
  }

  beforeAll(async () => {
    await writeGeoIpDatabase(geoipDb);
    principalKey = (await writePrincipalKeys(dir)).privateKeyFile;
    // Its own database holds only the rate-limit counters.
    gatewayDb = await createTestDatabase(path.join(ROOT, 'services', 'gateway', 'migrations'));
    const gateway = await startGateway(settings());
    ({ base, ops } = gateway);
    logFile = gateway.started.logFile;
  });

  afterAll(async () => {
    const codes = await Promise.all(processes.map((process) => process.stop()));
    await rm(dir, { recursive: true, force: true });
    await gatewayDb?.drop();
    expect(codes[0]).toBe(0);
  });

  const from = (clientIp: string) => ({ ...INGRESS_HEADERS, 'x-forwarded-for': clientIp });

  test('security.txt is served from the settings, to a researcher in any country, over HTTPS only', async () => {
    const served = await fetch(`${base}/.well-known/security.txt`, { headers: from('192.0.2.10') });
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await served.text()).toBe(
      'Contact: mailto:security@example.test\nContact: https://example.test/report\n' +
        'Expires: 2031-03-01T00:00:00.000Z\nPolicy: https://example.test/disclosure\n' +
        'Preferred-Languages: en, mi\n',
    );
    const plain = await fetch(`${base}/.well-known/security.txt`, { redirect: 'manual' });
    expect(plain.status).toBe(308);
    expect(plain.headers.get('location')).toBe('https://127.0.0.1/.well-known/security.txt');
  });

  test('the API over plain HTTP, a client in the US and the admin API from outside its networks are each refused', async () => {
    const plain = await fetch(`${base}/api/v1/me`, { headers: { 'x-forwarded-for': '203.0.113.10' } });
    expect(plain.status).toBe(403);
    expect(await plain.json()).toMatchObject({ code: 'https_required' });
    expect(plain.headers.get('strict-transport-security')).toBe('max-age=63072000; includeSubDomains');

    const abroad = await fetch(`${base}/api/v1/me`, { headers: from('192.0.2.10') });
    expect(abroad.status).toBe(403);
    expect(await abroad.json()).toMatchObject({ code: 'geo_blocked' });
    const metrics = await (await fetch(`${ops}/metrics`)).text();
    expect(metrics).toMatch(/^gateway_geo_blocked_total\{country="US"\} [1-9]/m);

    const admin = await fetch(`${base}/api/v1/admin/audit/entries`, { headers: from('198.51.100.10') });
    expect(admin.status).toBe(403);
    expect(await admin.json()).toMatchObject({ code: 'permission_denied' });
  });

  test('a replaced GeoIP database takes effect without a restart, and a corrupt one is refused', async () => {
    const movedClient = '192.0.2.77';
    const before = await fetch(`${base}/api/v1/nope`, { headers: from(movedClient) });
    expect(before.status).toBe(403);

    // The operator's update moves the US test range to AU.
    await writeGeoIpDatabase(geoipDb, [
      ...TEST_NETWORKS.filter((n) => !n.endsWith('=US')),
      '192.0.2.0/24=AU',
    ]);
    await waitFor(
      async () => (await fetch(`${base}/api/v1/nope`, { headers: from(movedClient) })).status === 404,
      { what: 'the new GeoIP data', timeoutMs: 15_000 },
    );

    // A broken file in its place is logged, and the last good data stays in use.
    await writeFile(`${geoipDb}.new`, 'not a database');
    await rename(`${geoipDb}.new`, geoipDb);
    await waitFor(async () => (await readFile(logFile, 'utf8')).includes('"event":"geoip.reload_failed"'), {
      what: 'the refused reload',
      timeoutMs: 15_000,
    });
    expect((await fetch(`${base}/api/v1/nope`, { headers: from(movedClient) })).status).toBe(404);
  });

  test('the gateway will not start without a readable GeoIP database, with an expired security.txt or with plain HTTP in production', async () => {
    const refusals: [Record<string, string>, RegExp][] = [
      [
        { ...settings(), GEOIP_DB_FILE: path.join(dir, 'missing.mmdb') },
        /gateway failed to start: .*missing\.mmdb/,
      ],
      [{ ...settings(), SECURITY_TXT_EXPIRES: '2020-01-01' }, /SECURITY_TXT_EXPIRES: is in the past/],
      // It has its certificates: only the flag is wrong.
      [
        { ...settings(), NODE_ENV: 'production' },
        /HTTP_ALLOW_PLAINTEXT: plain HTTP is a development flag and is refused with NODE_ENV=production/,
      ],
    ];
    for (const [env, refusal] of refusals) {
      const [http, opsPort] = await Promise.all([freePort(), freePort()]);
      const started = await startProcess({
        name: 'gateway-edge-refused',
        entry: path.join(ROOT, 'services', 'gateway', 'src', 'main.ts'),
        env: { HTTP_PORT: String(http), OPS_PORT: String(opsPort), ...env },
      });
      expect(await started.exited).toBe(1);
      expect(await readFile(started.logFile, 'utf8')).toMatch(refusal);
    }
  });
});
