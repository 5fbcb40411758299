import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import pg from 'pg';
import { z } from 'zod';

import {
  baseConfig,
  brokerList,
  ConfigError,
  databaseConfig,
  grpcServerTlsConfig,
  grpcTlsConfig,
  loadConfig,
  postgresUrl,
  tlsFiles,
} from '../src';

describe('configuration', () => {
  const schema = baseConfig.extend({ DATABASE_URL: postgresUrl, KAFKA_BROKERS: brokerList });

  test('a valid environment is parsed into typed settings with defaults', () => {
    const config = loadConfig(schema, {
      DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db',
      KAFKA_BROKERS: '127.0.0.1:9092, 127.0.0.1:9093',
    });
    expect(config.KAFKA_BROKERS).toEqual(['127.0.0.1:9092', '127.0.0.1:9093']);
    expect(config.LOG_LEVEL).toBe('info');
    expect(config.OPS_PORT).toBe(0);
  });

  test('a missing or malformed setting fails fast naming every bad variable, without echoing the values', () => {
    const secret = 'mysql://root:hunter2-very-secret@db/x';
    let error: unknown;
    try {
      loadConfig(schema, { DATABASE_URL: secret, KAFKA_BROKERS: 'no-port-here', OPS_PORT: '99999' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/DATABASE_URL: must be a postgres:\/\/ connection URL/);
    expect(message).toMatch(/KAFKA_BROKERS/);
    expect(message).toMatch(/OPS_PORT/);
    expect(message).not.toContain('hunter2');
  });

  test('mutual TLS needs all three certificate files or none', () => {
    expect(() => loadConfig(grpcTlsConfig, { GRPC_TLS_CA_FILE: '/ca.pem' })).toThrow(
      /all of GRPC_TLS_CA_FILE/,
    );
    expect(loadConfig(grpcTlsConfig, {})).toMatchObject({ GRPC_ALLOW_PLAINTEXT: false });
    expect(() => loadConfig(z.object({ X: z.string() }), {})).toThrow(/X: /);
  });

  const files = {
    GRPC_TLS_CA_FILE: '/run/tls/ca.crt',
    GRPC_TLS_CERT_FILE: '/run/tls/tls.crt',
    GRPC_TLS_KEY_FILE: '/run/tls/tls.key',
  };

  test('certificate files are re-read every minute unless GRPC_TLS_REFRESH_MS says otherwise (1 s to 1 h)', () => {
    expect(loadConfig(grpcTlsConfig, files).GRPC_TLS_REFRESH_MS).toBe(60_000);
    expect(loadConfig(grpcTlsConfig, { ...files, GRPC_TLS_REFRESH_MS: '5000' }).GRPC_TLS_REFRESH_MS).toBe(
      5_000,
    );
    expect(() => loadConfig(grpcTlsConfig, { ...files, GRPC_TLS_REFRESH_MS: '10' })).toThrow(
      /GRPC_TLS_REFRESH_MS/,
    );
  });

  test('the plaintext development flag is refused in production', () => {
    expect(loadConfig(grpcTlsConfig, { GRPC_ALLOW_PLAINTEXT: 'true' }).GRPC_ALLOW_PLAINTEXT).toBe(true);
    expect(() => loadConfig(grpcTlsConfig, { GRPC_ALLOW_PLAINTEXT: 'true', NODE_ENV: 'production' })).toThrow(
      /GRPC_ALLOW_PLAINTEXT: is a development flag and is refused with NODE_ENV=production/,
    );
    expect(() =>
      loadConfig(grpcServerTlsConfig, {
        ...files,
        GRPC_ALLOW_PLAINTEXT: 'true',
        NODE_ENV: 'production',
        GRPC_ALLOWED_CALLERS: '',
      }),
    ).toThrow(ConfigError);
  });

  test('a process that uses gRPC refuses to start without certificates unless the development flag is set', () => {
    const plaintext = loadConfig(grpcTlsConfig, {});
    expect(() => tlsFiles(plaintext)).toThrow(ConfigError);
    expect(() => tlsFiles(plaintext)).toThrow(
      /GRPC_TLS_CA_FILE: .*GRPC_TLS_CERT_FILE and GRPC_TLS_KEY_FILE, or GRPC_ALLOW_PLAINTEXT=true/,
    );
    expect(tlsFiles(loadConfig(grpcTlsConfig, { GRPC_ALLOW_PLAINTEXT: 'true' }))).toMatchObject({
      caFile: undefined,
    });
    expect(tlsFiles(loadConfig(grpcTlsConfig, files))).toEqual({
      caFile: '/run/tls/ca.crt',
      certFile: '/run/tls/tls.crt',
      keyFile: '/run/tls/tls.key',
      refreshMs: 60_000,
    });
  });

  test('a gRPC server with certificates must name who may call it; empty names nobody', () => {
    expect(() => loadConfig(grpcServerTlsConfig, files)).toThrow(/GRPC_ALLOWED_CALLERS: name the components/);
    expect(
      loadConfig(grpcServerTlsConfig, { ...files, GRPC_ALLOWED_CALLERS: '' }).GRPC_ALLOWED_CALLERS,
    ).toEqual([]);
    expect(
      loadConfig(grpcServerTlsConfig, { ...files, GRPC_ALLOWED_CALLERS: 'gateway, audit,notifications' })
        .GRPC_ALLOWED_CALLERS,
    ).toEqual(['gateway', 'audit', 'notifications']);
    expect(() =>
      loadConfig(grpcServerTlsConfig, { ...files, GRPC_ALLOWED_CALLERS: 'spiffe://tracking/gateway' }),
    ).toThrow(/GRPC_ALLOWED_CALLERS/);
  });

  describe('the database connection verifies TLS', () => {
    let dir: string;
    let caFile: string;
    beforeAll(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'db-tls-'));
      caFile = path.join(dir, 'ca.crt');
      writeFileSync(caFile, '-----BEGIN CERTIFICATE-----\nnot checked here\n-----END CERTIFICATE-----\n');
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    const schema = baseConfig.and(databaseConfig);
    const failure = (env: Record<string, string>) => {
      try {
        loadConfig(schema, env);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as Error).message;
      }
      throw new Error('the configuration was accepted');
    };

    test('DATABASE_TLS_CA_FILE makes the URL verify-full against that CA, whatever sslmode it said', () => {
      for (const url of [
        'postgres://auth_app:pw@db.ns.svc:5432/auth',
        'postgres://a:pw@db/auth?sslmode=disable',
      ]) {
        const config = loadConfig(schema, { DATABASE_URL: url, DATABASE_TLS_CA_FILE: caFile });
        const parsed = new URL(config.DATABASE_URL);
        expect(parsed.searchParams.getAll('sslmode')).toEqual(['verify-full']);
        expect(parsed.searchParams.get('sslrootcert')).toBe(caFile);
      }
    });

    test("node-postgres (and so Prisma's pg adapter) reads the CA from the URL and verifies the server", () => {
      const { DATABASE_URL } = loadConfig(schema, {
        DATABASE_URL: 'postgres://auth_app:pw@db:5432/auth',
        DATABASE_TLS_CA_FILE: caFile,
      });
      const ssl = (
        new pg.Client({ connectionString: DATABASE_URL }) as unknown as {
          connectionParameters: { ssl: unknown };
        }
      ).connectionParameters.ssl as {
        ca?: string;
        rejectUnauthorized?: boolean;
        checkServerIdentity?: unknown;
      };
      expect(ssl.ca).toContain('not checked here');
      expect(ssl.rejectUnauthorized).not.toBe(false);
      expect(ssl.checkServerIdentity).toBeUndefined(); // Node's own: the host name is checked
    });

    test('a CA path with a space reaches node-postgres and libpq (pg_dump) alike', () => {
      const spaced = path.join(dir, 'with space');
      mkdirSync(spaced);
      writeFileSync(path.join(spaced, 'ca.crt'), 'the spaced CA');
      const { DATABASE_URL } = loadConfig(schema, {
        DATABASE_URL: 'postgres://a:pw@db/auth?application_name=backup',
        DATABASE_TLS_CA_FILE: path.join(spaced, 'ca.crt'),
      });
      // libpq decodes %XX only: a `+` would stay a plus sign in the path.
      expect(new URL(DATABASE_URL).search).toBe(
        `?application_name=backup&sslmode=verify-full&sslrootcert=${encodeURIComponent(path.join(spaced, 'ca.crt'))}`,
      );
      const ssl = (
        new pg.Client({ connectionString: DATABASE_URL }) as unknown as {
          connectionParameters: { ssl: { ca?: string } };
        }
      ).connectionParameters.ssl;
      expect(ssl.ca).toBe('the spaced CA');
    });

    test('a URL that says verify-full itself is used as it is', () => {
      const url = `postgres://a:pw@127.0.0.1:19432/auth?sslmode=verify-full&sslrootcert=${encodeURIComponent(caFile)}`;
      expect(loadConfig(schema, { DATABASE_URL: url }).DATABASE_URL).toBe(url);
    });

    test('without the CA file, a URL that does not verify is refused at start-up: there is no plaintext path', () => {
      for (const url of [
        'postgres://a:hunter2@127.0.0.1/auth',
        'postgres://a:hunter2@127.0.0.1/auth?sslmode=disable',
        'postgres://a:hunter2@127.0.0.1/auth?sslmode=require',
        'postgres://a:hunter2@127.0.0.1/auth?sslmode=verify-ca&sslrootcert=/ca.crt',
        // node-postgres takes the last sslmode: a second one must not slip past the check.
        'postgres://a:hunter2@127.0.0.1/auth?sslmode=verify-full&sslmode=disable',
        // A unix socket never does TLS.
        'postgres://a:hunter2@127.0.0.1/auth?sslmode=verify-full&host=/var/run/postgresql',
        'postgres://a:hunter2@%2Fvar%2Frun%2Fpostgresql/auth?sslmode=verify-full',
        // No CA file: libpq (pg_dump) would look for ~/.postgresql/root.crt, node-postgres take
        // any public CA; `system` is libpq 16's word for the latter, a missing file to node-postgres.
        'postgres://a:hunter2@127.0.0.1/auth?sslmode=verify-full',
        'postgres://a:hunter2@127.0.0.1/auth?sslmode=verify-full&sslrootcert=system',
      ]) {
        const message = failure({ DATABASE_URL: url });
        expect(message).toMatch(/DATABASE_URL: must verify the server over TLS: set DATABASE_TLS_CA_FILE/);
        expect(message).toMatch(/plaintext is not supported/);
        expect(message).not.toContain('hunter2');
      }
    });

    test('a CA file that is not there stops the start, naming the variable', () => {
      expect(
        failure({
          DATABASE_URL: 'postgres://a:pw@db/auth',
          DATABASE_TLS_CA_FILE: path.join(dir, 'missing.crt'),
        }),
      ).toMatch(/DATABASE_TLS_CA_FILE: is not a readable file/);
    });
  });
});
