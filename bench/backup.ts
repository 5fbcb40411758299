/**
 * Backup and restore throughput: the backup service's pipeline beside plain pg_dump and
 * pg_restore, on the same generated database, in one run.
 *
 *   plain dump     pg_dump -Fc into a local file (synthetic data; the service never does this)
 *   plain restore  pg_restore from that file into an empty database
 *   plain pipe     pg_dump -Fc | pg_restore into an empty database: no encryption, no upload
 *   ours: backup   pg_dump -Fc → AES-256-GCM chunks → SHA-256 → multipart upload to the local
 *                  S3 server (versitygw), with its manifest (runBackups, as the CLI runs it)
 *   ours: restore  download → verify (SHA-256 and every tag) → download again → decrypt →
 *                  pg_restore into an empty database (restoreBackup, as the CLI runs it)
 *
 * Run: `npx tsx bench/backup.ts [--size-gb N] [--fresh] [--drop] [--timeout-seconds S]` (or
 * `npm run bench:backup`). Needs the local PostgreSQL and S3 store (`bash scripts/infra.sh up`).
 * The generated database, bench_backup, is kept for the next run unless --drop is given. It is
 * a measurement, not a test: nothing is asserted. See bench/README.md.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, readdirSync, readFileSync } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';

import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { restoreBackup, runBackups } from '@tracking/backup/backups';
import { readConfig } from '@tracking/backup/config';
import type { Deps as BackupDeps } from '@tracking/backup/deps';
import { exitOf, pgTools, stderrTail } from '@tracking/backup/postgres';
import { createStore } from '@tracking/backup/store';
import { createLogger, createPool, dropDatabase, Keyring, provisionDatabase } from '@tracking/kit';
import { createTestDatabase } from '@tracking/testing';
import pg from 'pg';

import {
  checkReachable,
  onProcessSignals,
  othersCpuShare,
  runBench,
  UsageError,
  type Cleanup,
} from './support';

const BENCH_DB = 'bench_backup';
const ROWS_PER_BATCH = 100_000;

const USAGE = `usage: npx tsx bench/backup.ts [--size-gb N] [--fresh] [--drop] [--timeout-seconds S]
  --size-gb N           size of the generated database in GB (default 1, at least 0.1)
  --fresh               regenerate ${BENCH_DB} even if it is big enough
  --drop                drop ${BENCH_DB} at the end (it is kept for the next run by default)
  --timeout-seconds S   give up after S seconds, cleaning up (default 3600)`;

interface Options {
  sizeGb: number;
  fresh: boolean;
  drop: boolean;
  timeoutSeconds: number;
}

function parse(argv: string[]): Options | 'help' {
  const options: Options = { sizeGb: 1, fresh: false, drop: false, timeoutSeconds: 3600 };
  for (let index = 0; index < argv.length; index++) {
    const flag = argv[index];
    if (flag === '--help' || flag === '-h') return 'help';
    if (flag === '--fresh') options.fresh = true;
    else if (flag === '--drop') options.drop = true;
    else if (flag === '--size-gb' || flag === '--timeout-seconds') {
      const value = Number(argv[++index]);
      if (!Number.isFinite(value) || value <= 0) throw new UsageError(`${flag} needs a positive number`);
      if (flag === '--size-gb') {
        if (value < 0.1 || value > 100) throw new UsageError('--size-gb must be between 0.1 and 100');
        options.sizeGb = value;
      } else options.timeoutSeconds = value;
    } else throw new UsageError(`unknown option ${String(flag)}`);
  }
  return options;
}

function env(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(`${name} is not set: start the infrastructure with \`bash scripts/infra.sh up\``);
  return value;
}

function urlOf(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

const mb = (bytes: number) => bytes / 1e6;
const seconds = (start: number) => (performance.now() - start) / 1000;

function log(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

/**
 * A table of rows about 0.8 kB each: an id, 256 characters of hex text (compresses about 2:1)
 * and 512 bytes of SHA-256 output (does not compress), so the dump is neither trivial for zlib
 * nor pure noise; plus an index. Grown in batches until the database reaches the size.
 */
async function ensureDatabase(adminUrl: string, options: Options): Promise<number> {
  const target = options.sizeGb * 1e9;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const exists = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [BENCH_DB])).rowCount;
    if (exists && options.fresh) await admin.query(`DROP DATABASE ${BENCH_DB} WITH (FORCE)`);
    if (!exists || options.fresh) await admin.query(`CREATE DATABASE ${BENCH_DB}`);
  } finally {
    await admin.end();
  }
  const db = new pg.Client({ connectionString: urlOf(adminUrl, BENCH_DB) });
  await db.connect();
  try {
    await db.query(
      'CREATE TABLE IF NOT EXISTS bench_row (id bigint PRIMARY KEY, label text NOT NULL, payload bytea NOT NULL)',
    );
    const size = async () =>
      Number(
        (await db.query<{ size: string }>('SELECT pg_database_size(current_database()) AS size')).rows[0]
          ?.size,
      );
    let current = await size();
    if (current >= target) {
      log(`reusing ${BENCH_DB}: ${(current / 1e9).toFixed(2)} GB`);
      return current;
    }
    log(`generating ${BENCH_DB} up to ${options.sizeGb} GB (it is kept for later runs)`);
    const label = Array.from({ length: 8 }, (_, k) => `md5((i * 8 + ${k})::text)`).join(' || ');
    const payload = Array.from({ length: 16 }, (_, k) => `sha256(int8send(i) || int4send(${k}))`).join(
      ' || ',
    );
    const started = performance.now();
    while (current < target) {
      const { rows } = await db.query<{ next: string }>(
        'SELECT coalesce(max(id), 0) + 1 AS next FROM bench_row',
      );
      const from = Number(rows[0]?.next ?? 1);
      await db.query(
        `INSERT INTO bench_row (id, label, payload)
         SELECT i, ${label}, ${payload} FROM generate_series($1::bigint, $2::bigint) i`,
        [from, from + ROWS_PER_BATCH - 1],
      );
      current = await size();
      log(`  ${(current / 1e9).toFixed(2)} GB after ${seconds(started).toFixed(0)} s`);
    }
    await db.query('VACUUM ANALYZE bench_row');
    return await size();
  } finally {
    await db.end();
  }
}

/** An empty database to restore into, owned by the admin (the bench compares the pipelines, not roles). */
async function emptyDatabase(adminUrl: string, cleanup: Cleanup, name: string): Promise<string> {
  const database = `bench_restore_${name}_${randomBytes(3).toString('hex')}`;
  await provisionDatabase({ adminUrl, database, migratorPassword: 'unused-m', appPassword: 'unused-a' });
  cleanup.add(`drop ${database}`, () => dropDatabase(adminUrl, database));
  return database;
}

/** pg_dump -Fc into a local file (synthetic data; the service itself never does this). */
async function plainDump(
  binDir: string,
  url: string,
  file: string,
): Promise<{ seconds: number; bytes: number }> {
  const started = performance.now();
  const child = spawn(path.join(binDir, 'pg_dump'), ['--format=custom', '--no-password', `--dbname=${url}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr = stderrTail(child.stderr);
  const exited = exitOf(child);
  await pipeline(child.stdout, createWriteStream(file));
  const { code } = await exited;
  if (code !== 0) throw new Error(`pg_dump failed: ${stderr()}`);
  return { seconds: seconds(started), bytes: (await stat(file)).size };
}

/** pg_restore from that file, the same options as the service's. */
async function plainRestore(binDir: string, file: string, to: string): Promise<{ seconds: number }> {
  const started = performance.now();
  const restore = spawn(
    path.join(binDir, 'pg_restore'),
    ['--no-owner', '--exit-on-error', '--single-transaction', '--no-password', `--dbname=${to}`, file],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const stderr = stderrTail(restore.stderr);
  const { code } = await exitOf(restore);
  if (code !== 0) throw new Error(`pg_restore failed: ${stderr()}`);
  return { seconds: seconds(started) };
}

async function plainPipe(binDir: string, from: string, to: string): Promise<{ seconds: number }> {
  const started = performance.now();
  const dump = spawn(path.join(binDir, 'pg_dump'), ['--format=custom', '--no-password', `--dbname=${from}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const restore = spawn(
    path.join(binDir, 'pg_restore'),
    ['--no-owner', '--exit-on-error', '--single-transaction', '--no-password', `--dbname=${to}`],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  );
  const dumpErr = stderrTail(dump.stderr);
  const restoreErr = stderrTail(restore.stderr);
  const exits = [exitOf(dump), exitOf(restore)];
  await pipeline(dump.stdout, restore.stdin);
  const [dumped, restored] = await Promise.all(exits);
  if (dumped?.code !== 0 || restored?.code !== 0)
    throw new Error(`plain pipe failed: ${dumpErr()} ${restoreErr()}`);
  return { seconds: seconds(started) };
}

async function run(options: Options, cleanup: Cleanup): Promise<void> {
  const adminUrl = env('PG_ADMIN_URL');
  const endpoint = env('S3_ENDPOINT');
  const credentialsDir = env('S3_CREDENTIALS_DIR');
  await checkReachable('PostgreSQL', adminUrl);
  await checkReachable('the S3 store', endpoint);
  const binDir = execNewestPgBin();

  const dbBytes = await ensureDatabase(adminUrl, options);
  if (options.drop) {
    cleanup.add(`drop ${BENCH_DB}`, async () => {
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${BENCH_DB} WITH (FORCE)`).finally(() => admin.end());
    });
  }
  const source = urlOf(adminUrl, BENCH_DB);

  // Its own bucket, without versioning or object lock, so that cleaning up frees the space.
  const bucket = `bench-${randomBytes(4).toString('hex')}`;
  const credentials = {
    accessKeyId: readFileSync(path.join(credentialsDir, 'access-key-id'), 'utf8').trim(),
    secretAccessKey: readFileSync(path.join(credentialsDir, 'secret-access-key'), 'utf8').trim(),
  };
  const s3 = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  cleanup.add(`delete bucket ${bucket}`, async () => {
    for (;;) {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
      const keys = (page.Contents ?? []).flatMap((object) => (object.Key ? [{ Key: object.Key }] : []));
      if (keys.length === 0) break;
      await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
    }
    await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
    s3.destroy();
  });

  const backupDb = await createTestDatabase(path.join(__dirname, '..', 'services', 'backup', 'migrations'));
  cleanup.add('drop the run-record database', () => backupDb.drop());
  const config = readConfig({
    DATABASE_URL: backupDb.appUrl,
    KAFKA_BROKERS: '127.0.0.1:1',
    S3_ENDPOINT: endpoint,
    S3_BUCKET: bucket,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    BACKUP_KEK_DIR: '(in memory)',
    BACKUP_KEK_ACTIVE_ID: 'bench-1',
    BACKUP_SOURCES_FILE: '(in memory)',
    PG_BIN_DIR: binDir,
    PATH: process.env.PATH,
  });
  const pool = createPool(config.DATABASE_URL, { max: 4, name: 'bench' });
  cleanup.add('close the pool', () => pool.end());
  const store = createStore(config);
  const deps: BackupDeps = {
    config,
    store,
    keyring: new Keyring(new Map([['bench-1', randomBytes(32)]]), 'bench-1'),
    sources: { databases: { [BENCH_DB]: source } },
    pool,
    tools: pgTools({ binDir, path: config.PATH }),
    log: createLogger({ service: 'bench', level: 'warn', stream: process.stderr }),
    // Nobody erased: the bench measures the dump and restore, not re-applying the ledger.
    ledger: { read: () => Promise.resolve([]), close: () => undefined },
  };

  const otherLoad = await othersCpuShare(2_000);
  const rssBefore = process.memoryUsage().rss;
  const dumpFile = path.join(os.tmpdir(), `bench-backup-${randomBytes(4).toString('hex')}.dump`);
  cleanup.add('remove the plain dump', () => rm(dumpFile, { force: true }));
  log('plain pg_dump -Fc > file');
  const dump = await plainDump(binDir, source, dumpFile);
  log('plain pg_restore < file');
  const plainRestored = await plainRestore(
    binDir,
    dumpFile,
    urlOf(adminUrl, await emptyDatabase(adminUrl, cleanup, 'file')),
  );
  await rm(dumpFile, { force: true });
  log('plain pg_dump -Fc | pg_restore');
  const pipe = await plainPipe(
    binDir,
    source,
    urlOf(adminUrl, await emptyDatabase(adminUrl, cleanup, 'plain')),
  );
  log('ours: backup (dump, encrypt, hash, multipart upload, manifest)');
  let started = performance.now();
  const [outcome] = await runBackups(deps, [BENCH_DB]);
  const backupSeconds = seconds(started);
  if (!outcome?.ok) throw new Error(`backup failed: ${outcome?.ok === false ? outcome.error : 'no result'}`);
  log('ours: restore (download, verify, download, decrypt, pg_restore)');
  const restoreTarget = urlOf(adminUrl, await emptyDatabase(adminUrl, cleanup, 'ours'));
  started = performance.now();
  await restoreBackup(deps, outcome.manifest, { url: restoreTarget });
  const restoreSeconds = seconds(started);
  const count = async (url: string) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM bench_row')).rows[0]?.n);
    } finally {
      await client.end();
    }
  };
  const [sourceRows, restoredRows] = await Promise.all([count(source), count(restoreTarget)]);
  if (sourceRows !== restoredRows) throw new Error(`restored ${restoredRows} of ${sourceRows} rows`);

  const dbMb = mb(dbBytes);
  const dumpMb = mb(outcome.manifest.plaintextBytes);
  const rows: [string, number, string][] = [
    ['plain pg_dump -Fc > file', dump.seconds, ''],
    ['plain pg_restore < file', plainRestored.seconds, ''],
    ['plain pg_dump -Fc | pg_restore', pipe.seconds, ''],
    ['ours: backup to S3', backupSeconds, `${(backupSeconds / dump.seconds).toFixed(2)}x plain dump`],
    [
      'ours: verified restore from S3',
      restoreSeconds,
      `${(restoreSeconds / plainRestored.seconds).toFixed(2)}x plain restore`,
    ],
    [
      'ours: backup + restore',
      backupSeconds + restoreSeconds,
      `${((backupSeconds + restoreSeconds) / pipe.seconds).toFixed(2)}x plain pipe`,
    ],
  ];
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(
    [
      `node ${process.version}, ${os.cpus().length} CPUs, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM; ${execVersion(binDir)}`,
      `other load before the start: ${(otherLoad * 100).toFixed(0)}% of the CPUs; check: ${restoredRows} of ${sourceRows} rows restored`,
      `database ${BENCH_DB}: ${dbMb.toFixed(0)} MB on disk; its custom-format dump ${dumpMb.toFixed(0)} MB; stored object ${mb(outcome.manifest.object.ciphertextBytes).toFixed(0)} MB`,
      '',
      `${'pipeline'.padEnd(34)}${'seconds'.padStart(9)}${'DB MB/s'.padStart(10)}${'dump MB/s'.padStart(11)}  overhead`,
      ...rows.map(
        ([name, time, ratio]) =>
          `${name.padEnd(34)}${time.toFixed(1).padStart(9)}${(dbMb / time).toFixed(1).padStart(10)}${(dumpMb / time).toFixed(1).padStart(11)}  ${ratio}`,
      ),
      '',
      `peak RSS of this process (our pipeline runs in it; pg_dump and pg_restore are children): ${peakRssMb.toFixed(0)} MB (${mb(rssBefore).toFixed(0)} MB before the first run)`,
      JSON.stringify({
        dbBytes,
        dumpBytes: outcome.manifest.plaintextBytes,
        objectBytes: outcome.manifest.object.ciphertextBytes,
        seconds: {
          plainDump: dump.seconds,
          plainRestore: plainRestored.seconds,
          plainPipe: pipe.seconds,
          backup: backupSeconds,
          restore: restoreSeconds,
        },
        rssBeforeMb: Math.round(mb(rssBefore)),
        peakRssMb: Math.round(peakRssMb),
        otherLoad,
      }),
      '',
    ].join('\n'),
  );
}

function execNewestPgBin(): string {
  const base = '/usr/lib/postgresql';
  const versions = readdirSync(base)
    .map(Number)
    .filter((version) => version >= 15 && existsSync(path.join(base, String(version), 'bin', 'pg_dump')));
  if (versions.length === 0) throw new Error('no PostgreSQL 15+ client programs in /usr/lib/postgresql');
  return path.join(base, String(Math.max(...versions)), 'bin');
}

function execVersion(binDir: string): string {
  return pgTools({ binDir, path: process.env.PATH ?? '' }).dumpVersion();
}

void runBench({
  argv: process.argv.slice(2),
  usage: USAGE,
  parse,
  run: (options, cleanup) => run(options, cleanup),
  onInterrupt: onProcessSignals,
}).then((code) => process.exit(code));
