// The local stack's topology is the chart's (scripts/stack.ts), and none of its fixed ports can
// be taken by an outgoing connection.
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';

import { parse } from 'yaml';

import { loadStack, ROOT, stackPorts } from './stack';

/** Linux's default ephemeral range starts here (net.ipv4.ip_local_port_range: 32768 60999). */
const EPHEMERAL_LOW = 32_768;

/** The infrastructure's ports as scripts/lib.sh sets them, with nothing set in the environment. */
function infrastructurePorts(): Record<string, number> {
  const out = execFileSync(
    'bash',
    [
      '-c',
      'source scripts/lib.sh && for v in PG_PORT KAFKA_PORT KAFKA_CONTROLLER_PORT PROMETHEUS_PORT ' +
        'ALERTMANAGER_PORT ALERT_RECEIVER_PORT STRIPE_MOCK_PORT S3_PORT SMTP_PORT MAIL_INBOX_PORT; do echo "$v ${!v}"; done; ' +
        'echo "STRIPE_MOCK_HTTPS_PORT $((STRIPE_MOCK_PORT + 2))"',
    ],
    { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' }, encoding: 'utf8' },
  );
  return Object.fromEntries(
    out
      .trim()
      .split('\n')
      .map((line) => line.split(' '))
      .map(([name = '', port = '']) => [name, Number(port)]),
  );
}

interface ChartComponent {
  enabled: boolean;
  ports: Record<string, number>;
  calls?: Record<string, string>;
}
const chart = parse(readFileSync(path.join(ROOT, 'charts', 'tracking', 'values.yaml'), 'utf8')) as {
  components: Record<string, ChartComponent>;
};

describe('the local stack', () => {
  test("every fixed port (the infrastructure's, the services', the edge's) is below Linux's ephemeral range, and no two coincide", () => {
    const ports = { ...infrastructurePorts(), ...stackPorts(loadStack()) };
    expect(Object.keys(ports).length).toBeGreaterThan(25);
    const inRange = Object.entries(ports).filter(([, port]) => !(port > 1024 && port < EPHEMERAL_LOW));
    expect(inRange).toEqual([]);
    const taken = new Map<number, string>();
    const clashes: string[] = [];
    for (const [name, port] of Object.entries(ports)) {
      const other = taken.get(port);
      if (other) clashes.push(`${other} and ${name} on ${String(port)}`);
      taken.set(port, name);
    }
    expect(clashes).toEqual([]);
  });

  test("each service listens on its chart component's ports and finds its callees at their chart ports", () => {
    const { services } = loadStack();
    const gateway = services.find((service) => service.name === 'gateway');
    expect(gateway?.env).toMatchObject({
      HTTP_PORT: String(chart.components.gateway?.ports.http),
      OPS_PORT: String(chart.components.gateway?.ports.ops),
      AUTH_GRPC_ADDR: `127.0.0.1:${String(chart.components.auth?.ports.grpc)}`,
      BILLING_GRPC_ADDR: `127.0.0.1:${String(chart.components.billing?.ports.grpc)}`,
    });
    for (const service of services) {
      const component = chart.components[service.name];
      expect({ service: service.name, calls: Object.keys(component?.calls ?? {}).length }).toEqual({
        service: service.name,
        calls: Object.keys(service.env).filter((key) => key.endsWith('_GRPC_ADDR')).length,
      });
    }
  });

  test("every service runs gRPC with mutual TLS from the local PKI, admitting only the callers the chart's call graph allows", () => {
    const { services } = loadStack(ROOT, '/pki');
    for (const service of services) {
      expect({ service: service.name, ...service.env }).toMatchObject({
        service: service.name,
        GRPC_TLS_CA_FILE: '/pki/ca.crt',
        GRPC_TLS_CERT_FILE: `/pki/${service.name}.crt`,
        GRPC_TLS_KEY_FILE: `/pki/${service.name}.key`,
      });
      expect(service.env).not.toHaveProperty('GRPC_ALLOW_PLAINTEXT');
    }
    const servers = services.filter((service) => service.env.GRPC_PORT);
    expect(
      Object.fromEntries(servers.map((service) => [service.name, service.env.GRPC_ALLOWED_CALLERS])),
    ).toEqual({
      auth: 'gateway,audit,notifications',
      audit: 'gateway',
      tracking: 'gateway',
      'ai-inference': 'gateway',
      billing: 'gateway',
      backup: 'gateway',
      privacy: 'gateway',
    });
  });

  test('every component of the chart runs locally: as a process, or (the web app) behind the local edge', () => {
    const { services, edge } = loadStack();
    const local = new Set(services.map((service) => service.name));
    const missing = Object.entries(chart.components)
      .filter(([name, component]) => component.enabled && name !== 'web' && !local.has(name))
      .map(([name]) => name);
    expect(missing).toEqual([]);
    expect(edge).toMatchObject({
      https: 8443,
      web: chart.components.web?.ports.http,
      webOps: chart.components.web?.ports.ops,
    });
  });
});

describe('the start-up port check (scripts/lib.sh ensure_port_free)', () => {
  /** What `ensure_port_free <what> <port>` says, and whether it let the start go on. */
  async function check(port: number): Promise<{ ok: boolean; message: string }> {
    try {
      await promisify(execFile)(
        'bash',
        ['-c', `source scripts/lib.sh && ensure_port_free "the test's server" ${String(port)}`],
        {
          cwd: ROOT,
        },
      );
      return { ok: true, message: '' };
    } catch (error) {
      return { ok: false, message: String((error as { stderr?: string }).stderr) };
    }
  }

  let server: Server | undefined;
  let client: Socket | undefined;
  afterEach(() => {
    client?.destroy();
    server?.close();
  });

  test('a port something listens on stops the start, naming the process that holds it', async () => {
    const listening = createServer();
    server = listening;
    await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
    const { port } = listening.address() as { port: number };
    const refused = await check(port);
    expect(refused.ok).toBe(false);
    expect(refused.message).toContain(
      `port ${String(port)} for the test's server is taken: LISTEN pid ${String(process.pid)} (`,
    );
    server.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await check(port)).toEqual({ ok: true, message: '' });
  });

  test('so does an outgoing connection that took the port as its local end, as in issue 20', async () => {
    const listening = createServer((socket) => socket.on('error', () => undefined));
    server = listening;
    await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
    const { port } = listening.address() as { port: number };
    const outgoing = connect({ host: '127.0.0.1', port });
    client = outgoing;
    await new Promise((resolve) => outgoing.once('connect', resolve));
    const refused = await check(outgoing.localPort ?? 0);
    expect(refused.ok).toBe(false);
    expect(refused.message).toMatch(/is taken: ESTAB pid \d+/);
  });
});
