import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import {
  DeleteObjectsCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { provisionBackupRoles } from '@tracking/backup/roles';
import {
  createTestDatabase,
  grpcServiceEnv,
  infraEnv,
  kafkaServiceEnv,
  randomName,
  type TestDatabase,
} from '@tracking/testing';
import pg from 'pg';

export const ROOT = path.resolve(__dirname, '..', '..');
export const BACKUP_MIGRATIONS = path.join(ROOT, 'services', 'backup', 'migrations');
const CLI = path.join(ROOT, 'services', 'backup', 'src', 'cli.ts');

/** The local S3 store scripts/s3.sh started (through scripts/infra.sh up), as .local/infra.env describes it. */
export function s3Env() {
  const names = ['S3_ENDPOINT', 'S3_BUCKET', 'S3_CREDENTIALS_DIR', 'S3_DATA_DIR'] as const;
  const values = Object.fromEntries(names.map((name) => [name, process.env[name]]));
  if (names.some((name) => !values[name])) {
    throw new Error('the S3 store is not running: start the infrastructure with `npm run infra up`');
  }
  return values as Record<(typeof names)[number], string>;
}

/** The newest PostgreSQL 15+ client programs, as scripts/postgres.sh picks the server. */
export function pgBinDir(): string {
  const found = execFileSync('bash', ['-c', 'ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1'], {
    encoding: 'utf8',
  }).trim();
  if (!found) throw new Error('no /usr/lib/postgresql/<version>/bin');
  return found;
}

export function adminTo(database: string): string {
  const url = new URL(infraEnv().adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function withAdmin<T>(database: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminTo(database) });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * One isolated backup setup: the service's own database, its two least-privilege roles
 * (provisioned with the service's own provisionBackupRoles), a key-encryption key folder, a
 * sources file and a key prefix of its own in the shared bucket.
 */
export interface BackupHarness {
  env: Record<string, string>;
  dir: string;
  backupDb: TestDatabase;
  prefix: string;
  keyId: string;
  readerRole: string;
  drillRole: string;
  /** Reconfigures which databases are backed up (the sources file), granting the reader CONNECT. */
  setSources(databases: string[]): Promise<void>;
  /** A KEK folder holding `keyId` with other bytes, or only another id: for the wrong-key cases. */
  otherKekDir(kind: 'same-id-other-key' | 'other-id'): Promise<string>;
  cleanup(): Promise<void>;
}

export async function createBackupHarness(): Promise<BackupHarness> {
  const { adminUrl, brokers } = infraEnv();
  const s3 = s3Env();
  const dir = path.join(tmpdir(), randomName('backup-test-'));
  const kekDir = path.join(dir, 'kek');
  await mkdir(kekDir, { recursive: true, mode: 0o700 });
  const keyId = 'test-1';
  await writeFile(path.join(kekDir, keyId), randomBytes(32).toString('base64'), { mode: 0o600 });
  const backupDb = await createTestDatabase(BACKUP_MIGRATIONS);
  const suffix = randomBytes(4).toString('hex');
  const reader = { name: `t${suffix}_backup_reader`, password: randomBytes(18).toString('hex') };
  const drill = { name: `t${suffix}_backup_drill`, password: randomBytes(18).toString('hex') };
  const sourcesFile = path.join(dir, 'sources.json');
  const roleUrl = (role: { name: string; password: string }, database: string) => {
    const url = new URL(adminUrl);
    url.username = role.name;
    url.password = role.password;
    url.pathname = `/${database}`;
    return url.toString();
  };
  const setSources = async (databases: string[]) => {
    await provisionBackupRoles({ adminUrl, reader, drill, databases });
    const sources = {
      databases: Object.fromEntries(databases.map((database) => [database, roleUrl(reader, database)])),
      drill: roleUrl(drill, 'postgres'),
    };
    await writeFile(sourcesFile, JSON.stringify(sources), { mode: 0o600 });
  };
  await provisionBackupRoles({ adminUrl, reader, drill, databases: [] });
  const prefix = `test/${randomName()}/`;
  const env: Record<string, string> = {
    DATABASE_URL: backupDb.appUrl,
    KAFKA_BROKERS: brokers.join(','),
    ...kafkaServiceEnv('backup'),
    // Its certificate and the callers it admits (the gateway), for the service and the CLI alike.
    ...grpcServiceEnv('backup'),
    S3_ENDPOINT: s3.S3_ENDPOINT,
    S3_BUCKET: s3.S3_BUCKET,
    S3_PREFIX: prefix,
    S3_FORCE_PATH_STYLE: 'true',
    S3_CREDENTIALS_DIR: s3.S3_CREDENTIALS_DIR,
    // The erasure ledger every restore and drill re-applies: locally the same store, a prefix of its own.
    ERASURE_LEDGER_S3_BUCKET: s3.S3_BUCKET,
    ERASURE_LEDGER_S3_PREFIX: `${prefix}ledger/`,
    BACKUP_KEK_DIR: kekDir,
    BACKUP_KEK_ACTIVE_ID: keyId,
    BACKUP_SOURCES_FILE: sourcesFile,
    BACKUP_CONFIG_FILES: path.join(ROOT, 'charts', 'tracking', 'files', 'topics.json'),
    PG_BIN_DIR: pgBinDir(),
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    OTEL_SDK_DISABLED: 'true',
    BACKUP_EVENTS_FLUSH_MS: '0',
  };
  return {
    env,
    dir,
    backupDb,
    prefix,
    keyId,
    readerRole: reader.name,
    drillRole: drill.name,
    setSources,
    async otherKekDir(kind) {
      const other = path.join(dir, `kek-${kind}`);
      await mkdir(other, { recursive: true, mode: 0o700 });
      await writeFile(
        path.join(other, kind === 'other-id' ? 'test-2' : keyId),
        randomBytes(32).toString('base64'),
      );
      return other;
    },
    async cleanup() {
      await backupDb.drop();
      await withAdmin('postgres', async (admin) => {
        const { rows } = await admin.query<{ datname: string }>(
          'SELECT datname FROM pg_database WHERE pg_get_userbyid(datdba) = $1',
          [drill.name],
        );
        for (const { datname } of rows)
          await admin.query(`DROP DATABASE ${pg.escapeIdentifier(datname)} WITH (FORCE)`);
        for (const role of [reader.name, drill.name]) {
          const databases = await admin.query<{ datname: string }>(
            'SELECT datname FROM pg_database WHERE datallowconn',
          );
          for (const { datname } of databases.rows) {
            await admin
              .query(
                `REVOKE ALL ON DATABASE ${pg.escapeIdentifier(datname)} FROM ${pg.escapeIdentifier(role)}`,
              )
              .catch(() => undefined);
          }
          await admin.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(role)}`);
        }
      });
      await purgePrefix(prefix);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The local store, as the tests write to it: the privacy service's part (the ledger) in tests of backup. */
async function s3Client(): Promise<S3Client> {
  const s3 = s3Env();
  return new S3Client({
    endpoint: s3.S3_ENDPOINT,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: {
      accessKeyId: (await readFile(path.join(s3.S3_CREDENTIALS_DIR, 'access-key-id'), 'utf8')).trim(),
      secretAccessKey: (await readFile(path.join(s3.S3_CREDENTIALS_DIR, 'secret-access-key'), 'utf8')).trim(),
    },
  });
}

/** Writes one object into the local bucket, as the privacy service writes an erasure ledger entry. */
export async function putObject(key: string, body: string): Promise<void> {
  const client = await s3Client();
  try {
    await client.send(
      new PutObjectCommand({
        Bucket: s3Env().S3_BUCKET,
        Key: key,
        Body: body,
        ContentType: 'application/json',
      }),
    );
  } finally {
    client.destroy();
  }
}

/**
 * Deletes every version of every object under `prefix` (the bucket keeps versions, and a plain
 * delete only hides the current one), so test runs do not pile up in .local/s3.
 */
async function purgePrefix(prefix: string): Promise<void> {
  const s3 = s3Env();
  const client = await s3Client();
  try {
    for (;;) {
      const page = await client.send(new ListObjectVersionsCommand({ Bucket: s3.S3_BUCKET, Prefix: prefix }));
      const objects = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].flatMap((version) =>
        version.Key ? [{ Key: version.Key, VersionId: version.VersionId }] : [],
      );
      if (objects.length === 0) return;
      await client.send(new DeleteObjectsCommand({ Bucket: s3.S3_BUCKET, Delete: { Objects: objects } }));
    }
  } finally {
    client.destroy();
  }
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the backup CLI as the CronJob does (`node --import tsx services/backup/src/cli.ts ...`). */
export function runCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
      cwd: ROOT,
      env: { HOME: process.env.HOME ?? '/root', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The last line the CLI wrote to stderr: its one-line error. */
export function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? '';
}

/** The raw file versitygw keeps an object's current version in (its posix backend). */
export function rawObjectFile(key: string): string {
  const s3 = s3Env();
  return path.join(s3.S3_DATA_DIR, s3.S3_BUCKET, key);
}

export async function readRaw(key: string): Promise<Buffer> {
  return readFile(rawObjectFile(key));
}

/** Tables in the public schema of a database, as the superuser sees them. */
export async function tablesOf(database: string): Promise<string[]> {
  return withAdmin(database, async (client) => {
    const { rows } = await client.query<{ name: string }>(
      "SELECT relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND relkind IN ('r', 'p') ORDER BY 1",
    );
    return rows.map((row) => row.name);
  });
}

/** Per table: row count and an md5 over its rows in a canonical order. Equal digests, equal data. */
export async function tableDigests(database: string): Promise<Record<string, { rows: number; md5: string }>> {
  return withAdmin(database, async (client) => {
    const digests: Record<string, { rows: number; md5: string }> = {};
    for (const table of await tablesOf(database)) {
      const { rows } = await client.query<{ rows: string; md5: string | null }>(
        `SELECT count(*) AS rows, md5(string_agg(t::text, E'\\n' ORDER BY t::text)) AS md5 FROM ${pg.escapeIdentifier(table)} t`,
      );
      digests[table] = { rows: Number(rows[0]?.rows ?? 0), md5: rows[0]?.md5 ?? '' };
    }
    return digests;
  });
}
