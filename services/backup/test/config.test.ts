import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { readConfig } from '../src/config';
import { readSources, redact } from '../src/postgres';

const minimal = {
  DATABASE_URL: 'postgres://backup_app:pw@127.0.0.1:5432/backup',
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

  test('credentials in a quoted connection URL are removed from messages', () => {
    expect(redact('connect postgres://reader:s3cret@db:5432/auth failed; password=hunter2')).toBe(
      'connect postgres://[REDACTED]@db:5432/auth failed; password=[REDACTED]',
    );
  });
});
