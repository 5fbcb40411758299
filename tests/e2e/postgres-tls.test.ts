// PostgreSQL accepts only verified TLS (#24, docs/postgres-tls.md): what scripts/postgres.sh
// configures locally and what every connection URL of the platform asks for
// (sslmode=verify-full with the server's CA), tried against the running server.
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect as netConnect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect as tlsConnect, TLSSocket } from 'node:tls';
import { promisify } from 'node:util';

import {
  createTestDatabase,
  createTestTopics,
  freePort,
  grpcServiceEnv,
  infraEnv,
  kafkaServiceEnv,
  startProcess,
  waitFor,
  type TestDatabase,
} from '@tracking/testing';
import { participantExportEnv } from '@tracking/testing/privacy';
import pg from 'pg';

const ROOT = path.resolve(__dirname, '..', '..');
const run = promisify(execFile);

/** The first message of a TLS connection to PostgreSQL: SSLRequest (length 8, code 80877103). */
const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

/** A url like `base` with these query parameters set. */
function withParams(base: string, params: Record<string, string>): string {
  const url = new URL(base);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return url.toString();
}

/** Connects with node-postgres and returns the error it fails with (or fails the test). */
async function connectError(connectionString: string): Promise<Error & { code?: string }> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    return error as Error & { code?: string };
  } finally {
    await client.end().catch(() => undefined);
  }
  throw new Error('the connection was accepted');
}

/** A CA of the test's own, and certificates it signs for the names given (openssl, as postgres.sh). */
function makeCa(dir: string): {
  caFile: string;
  issue(name: string, san: string): { cert: string; key: string };
} {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const caFile = path.join(dir, 'other-ca.crt');
  const caKey = path.join(dir, 'other-ca.key');
  openssl(
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', caKey,
    '-out', caFile, '-days', '2', '-subj', '/CN=another CA', '-addext', 'basicConstraints=critical,CA:TRUE',
  ); // prettier-ignore
  return {
    caFile,
    issue(name, san) {
      const base = path.join(dir, name);
      openssl(
        'req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
        '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', `/CN=${name}`,
      ); // prettier-ignore
      execFileSync('sh', [
        '-c',
        `printf 'subjectAltName=%s\\nextendedKeyUsage=serverAuth\\n' "$1" >"$2"`,
        'sh',
        san,
        `${base}.ext`,
      ]);
      openssl(
        'x509', '-req', '-in', `${base}.csr`, '-CA', caFile, '-CAkey', caKey, '-set_serial', '1',
        '-days', '2', '-extfile', `${base}.ext`, '-out', `${base}.crt`,
      ); // prettier-ignore
      return { cert: `${base}.crt`, key: `${base}.key` };
    },
  };
}

/**
 * A stand-in PostgreSQL server that answers SSLRequest and completes TLS with the certificate
 * given, then hangs up: what a client sees from a server presenting that certificate.
 */
async function fakeTlsPostgres(
  cert: string,
  key: string,
): Promise<{ port: number; handshakes: () => number; close(): Promise<void> }> {
  const [certPem, keyPem] = await Promise.all([readFile(cert), readFile(key)]);
  let handshakes = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.once('data', () => {
      socket.write('S');
      const secure = new TLSSocket(socket, { isServer: true, cert: certPem, key: keyPem });
      secure.on('error', () => undefined);
      secure.on('secure', () => {
        handshakes += 1;
        secure.end();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    handshakes: () => handshakes,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A TLS handshake with the real server limited to `maxVersion`; resolves with the version or the error code. */
function handshake(port: number, ca: Buffer, maxVersion: 'TLSv1.1' | 'TLSv1.2'): Promise<string> {
  return new Promise((resolve) => {
    const socket = netConnect(port, '127.0.0.1', () => socket.write(SSL_REQUEST));
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    socket.once('data', (answer) => {
      if (answer.toString() !== 'S') {
        resolve(`server answered ${answer.toString()}`);
        return;
      }
      const secure = tlsConnect({
        socket,
        ca,
        servername: 'localhost',
        minVersion: 'TLSv1',
        maxVersion,
        // Let this client offer TLS 1.1 at all, so that it is the server that refuses it.
        ciphers: 'DEFAULT@SECLEVEL=0',
      });
      secure.on('secureConnect', () => {
        resolve(secure.getProtocol() ?? 'unknown');
        secure.destroy();
      });
      secure.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });
  });
}

describe('PostgreSQL accepts only verified TLS', () => {
  let adminUrl: string;
  let caFile: string;
  let db: TestDatabase;
  let dir: string;
  let other: ReturnType<typeof makeCa>;

  beforeAll(async () => {
    adminUrl = infraEnv().adminUrl;
    caFile = new URL(adminUrl).searchParams.get('sslrootcert') ?? '';
    db = await createTestDatabase();
    dir = await mkdtemp(path.join(tmpdir(), 'pg-tls-'));
    other = makeCa(dir);
  });

  afterAll(async () => {
    await db.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('every URL the test harness makes verifies the server against the local CA', () => {
    for (const url of [adminUrl, db.appUrl, db.migratorUrl]) {
      expect(new URL(url).searchParams.getAll('sslmode')).toEqual(['verify-full']);
      expect(new URL(url).searchParams.get('sslrootcert')).toBe(caFile);
    }
  });

  test('a plaintext connection is refused by the server; the same login over verified TLS gets in', async () => {
    const error = await connectError(withParams(db.appUrl, { sslmode: 'disable' }));
    expect(error.message).toMatch(/pg_hba\.conf rejects connection .* no encryption/);

    const client = new pg.Client({ connectionString: db.appUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ ssl: boolean; version: string }>(
        'SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
      );
      expect(rows[0]?.ssl).toBe(true);
      expect(['TLSv1.2', 'TLSv1.3']).toContain(rows[0]?.version);
    } finally {
      await client.end();
    }
  });

  test('a client that trusts another CA refuses the server', async () => {
    const error = await connectError(withParams(db.appUrl, { sslrootcert: other.caFile }));
    expect(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN']).toContain(error.code);
  });

  test('a certificate from the trusted CA for another host name fails verify-full', async () => {
    // node-postgres (the services, Prisma): a server whose certificate names db.other.example.
    const wrong = other.issue('db.other.example', 'DNS:db.other.example');
    const right = other.issue('loopback', 'IP:127.0.0.1');
    for (const [cert, expected] of [
      [wrong, 'ERR_TLS_CERT_ALTNAME_INVALID'],
      [right, undefined],
    ] as const) {
      const server = await fakeTlsPostgres(cert.cert, cert.key);
      try {
        const url = `postgres://someone:pw@127.0.0.1:${String(server.port)}/db?sslmode=verify-full&sslrootcert=${encodeURIComponent(other.caFile)}`;
        const error = await connectError(url);
        if (expected) {
          expect(error.code).toBe(expected);
          expect(server.handshakes()).toBe(0);
        } else {
          // The control: the same CA with the right name completes TLS (the stand-in then hangs up).
          expect(error.code).not.toBe('ERR_TLS_CERT_ALTNAME_INVALID');
          expect(server.handshakes()).toBe(1);
        }
      } finally {
        await server.close();
      }
    }

    // libpq (pg_dump, pg_restore, psql): the real server reached at its address under a name its
    // certificate does not carry.
    const { port, password } = new URL(adminUrl);
    const result = await run(
      'psql',
      [
        '-XAtq',
        `host=db.other.example hostaddr=127.0.0.1 port=${port} dbname=postgres user=postgres sslmode=verify-full sslrootcert=${caFile}`,
        '-c',
        'SELECT 1',
      ],
      { env: { PATH: process.env.PATH ?? '', PGPASSWORD: decodeURIComponent(password) } },
    ).then(
      () => 'accepted',
      (error: unknown) => (error as { stderr?: string }).stderr ?? '',
    );
    expect(result).toMatch(
      /server certificate for "(127\.0\.0\.1|localhost)" .*does not match host name "db\.other\.example"/,
    );
  });

  test('TLS older than 1.2 is refused by the server', async () => {
    const port = Number(new URL(adminUrl).port);
    const ca = await readFile(caFile);
    expect(await handshake(port, ca, 'TLSv1.2')).toBe('TLSv1.2');
    expect(await handshake(port, ca, 'TLSv1.1')).toMatch(/ALERT_PROTOCOL_VERSION/);
  });

  test('a service and the migration Job refuse to start with a URL that does not verify TLS', async () => {
    const plaintext = withParams(db.appUrl, { sslmode: 'disable' });
    const password = decodeURIComponent(new URL(plaintext).password);
    for (const entry of ['services/audit/src/main.ts', 'packages/kit/src/migrate-cli.ts']) {
      const started = await startProcess({
        name: 'pg-tls-refused',
        entry: path.join(ROOT, entry),
        env: { DATABASE_URL: plaintext, MIGRATIONS_DIR: path.join(ROOT, 'services', 'audit', 'migrations') },
      });
      expect(await started.exited).toBe(1);
      const output = await readFile(started.logFile, 'utf8');
      expect(output).toContain('DATABASE_URL: must verify the server over TLS');
      expect(output).not.toContain(password);
    }
  });

  test('a running service connects over TLS only: pg_stat_ssl shows every one of its sessions encrypted', async () => {
    const audit = await createTestDatabase(path.join(ROOT, 'services', 'audit', 'migrations'));
    const logDir = await mkdtemp(path.join(tmpdir(), 'pg-tls-audit-'));
    const [grpcPort, opsPort, authPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const service = await startProcess({
      name: 'audit-pg-tls',
      entry: path.join(ROOT, 'services', 'audit', 'src', 'main.ts'),
      env: {
        KAFKA_BROKERS: infraEnv().brokers.join(','),
        KAFKA_TOPIC_PREFIX: await createTestTopics(),
        ...kafkaServiceEnv('audit'),
        ...grpcServiceEnv('audit'),
        DATABASE_URL: audit.appUrl,
        AUTH_GRPC_ADDR: `127.0.0.1:${String(authPort)}`,
        ENCRYPTION_KEYS: `test:${randomBytes(32).toString('base64')}`,
        ENCRYPTION_ACTIVE_KEY_ID: 'test',
        // Its export parts go to the local S3 server, encrypted to a key nobody here keeps.
        ...(await participantExportEnv('audit')),
        GRPC_PORT: String(grpcPort),
        OPS_PORT: String(opsPort),
        LOG_FILE: path.join(logDir, 'audit.log'),
        OTEL_SDK_DISABLED: 'true',
      },
      readyUrl: `http://127.0.0.1:${String(opsPort)}/readyz`,
    });
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      // Its two pools as the server sees them, by the service's own role: Prisma's (through
      // @prisma/adapter-pg; the readiness check uses it) and the outbox relay's (node-postgres,
      // application_name audit-relay).
      const sessions = await waitFor(
        async () => {
          const { rows } = await admin.query<{ name: string; ssl: boolean; version: string | null }>(
            `SELECT a.application_name AS name, s.ssl, s.version
               FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)
              WHERE a.usename = $1`,
            [`${audit.database}_app`],
          );
          const names = new Set(rows.map((row) => row.name));
          return names.has('audit-relay') && names.size > 1 ? rows : undefined;
        },
        { what: "the audit service's Prisma and relay sessions" },
      );
      expect(
        sessions.filter((session) => !session.ssl || !/^TLSv1\.[23]$/.test(session.version ?? '')),
      ).toEqual([]);
    } finally {
      await admin.end();
      await service.stop();
      await audit.drop();
      await rm(logDir, { recursive: true, force: true });
    }
  });
});
