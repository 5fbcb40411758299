import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { readConfig } from '../src/config';
import { readSources, redact } from '../src/postgres';

const minimal = {
  DATABASE_URL: 'postgres://backup_app:pw@127.0.0.1:5432/backup?sslmode=verify-full&sslrootcert=/ca.crt',
  KAFKA_BROKERS: '127.0.0.1:9092',
  S3_BUCKET: 'tracking-backups',
  BACKUP_KEK_DIR: '/var/run/secrets/tracking/backup/kek',
  BACKUP_KEK_ACTIVE_ID: 'kek-1',
  BACKUP_SOURCES_FILE: '/var/run/secrets/tracking/backup/sources/sources.json',
};

describe('backup configuration', () => {
  test('the documented defaults: ports, server-side encryption, path-style, retention', () => {
    const config = readConfig(minimal);
    expect(config).toMatchObject({
      GRPC_PORT: 15061,
      OPS_PORT: 9111,
      S3_REGION: 'us-east-1',
      S3_SSE: 'AES256',
      S3_FORCE_PATH_STYLE: true,
      S3_PREFIX: '',
      BACKUP_CONFIG_FILES: [],
      BACKUP_RETENTION: { daily: 7, weekly: 4, monthly: 12 },
    });
  });

  test('a malformed setting stops start-up with a message naming it', () => {
    expect(() => readConfig({ ...minimal, BACKUP_RETENTION: 'hourly=24' })).toThrow(
      /BACKUP_RETENTION: must be like/,
    );
    expect(() => readConfig({ ...minimal, S3_SSE: 'aes' })).toThrow(/S3_SSE/);
    expect(() => readConfig({ ...minimal, AWS_ACCESS_KEY_ID: 'AKIA' })).toThrow(/set both AWS_ACCESS_KEY_ID/);
  });

  test('a bad sources file is described by path and problem, never by its connection URLs', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sources-'));
    try {
      const file = path.join(dir, 'sources.json');
      await writeFile(file, JSON.stringify({ databases: { auth: 'mysql://reader:s3cret-canary@db/auth' } }));
      expect(() => readSources(file)).toThrow(/databases\.auth: must be a postgres:\/\/ connection URL/);
      expect(() => readSources(file)).not.toThrow(/s3cret-canary/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("every connection verifies TLS: the sources, the restore target and the service's own database", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sources-'));
    try {
      const caFile = path.join(dir, 'ca.crt');
      await writeFile(caFile, 'a CA certificate');
      const file = path.join(dir, 'sources.json');
      const plain = 'postgres://reader:s3cret-canary@db:5432/auth';
      await writeFile(file, JSON.stringify({ databases: { auth: plain }, drill: plain }));
      // Without the CA file, a source that does not say verify-full is refused, by path.
      expect(() => readSources(file)).toThrow(/databases\.auth: must verify the server over TLS/);
      expect(() => readSources(file)).not.toThrow(/s3cret-canary/);
      // With it, pg_dump and pg_restore get sslmode=verify-full and the CA in every URL.
      const sources = readSources(file, caFile);
      for (const url of [sources.databases.auth, sources.drill]) {
        expect(new URL(url ?? '').searchParams.get('sslmode')).toBe('verify-full');
        expect(new URL(url ?? '').searchParams.get('sslrootcert')).toBe(caFile);
      }

      expect(() => readConfig({ ...minimal, BACKUP_RESTORE_URL: plain })).toThrow(
        /BACKUP_RESTORE_URL: must verify the server over TLS/,
      );
      const config = readConfig({
        ...minimal,
        DATABASE_URL: 'postgres://backup_app:pw@db:5432/backup',
        DATABASE_TLS_CA_FILE: caFile,
        BACKUP_RESTORE_URL: plain,
      });
      for (const url of [config.DATABASE_URL, config.BACKUP_RESTORE_URL]) {
        expect(new URL(url ?? '').searchParams.get('sslrootcert')).toBe(caFile);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('credentials in a quoted connection URL are removed from messages', () => {
    expect(redact('connect postgres://reader:s3cret@db:5432/auth failed; password=hunter2')).toBe(
      'connect postgres://[REDACTED]@db:5432/auth failed; password=[REDACTED]',
    );
  });
});
