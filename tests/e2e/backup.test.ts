import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import {
  callUnary,
  createClient,
  createKafka,
  createLogger,
  createPrincipalSigner,
  dropDatabase,
  principalMetadata,
  provisionDatabase,
  type PrincipalRole,
  type PrincipalSigner,
} from '@tracking/kit';
import { generateExportKeyPair } from '@tracking/kit/privacy';
import { BackupServiceClient } from '@tracking/proto/tracking/backup/v1/backup';
import {
  createTestDatabase,
  createTestTopics,
  grpcClientTls,
  grpcServiceEnv,
  infraEnv,
  randomName,
  startProcess,
  waitFor,
  type ManagedProcess,
  type TestDatabase,
  kafkaServiceEnv,
} from '@tracking/testing';
import { freePort } from '@tracking/testing/platform';
import pg from 'pg';

import {
  adminTo,
  createBackupHarness,
  lastLine,
  pgBinDir,
  rawObjectFile,
  readRaw,
  ROOT,
  runCli,
  s3Env,
  tableDigests,
  tablesOf,
  withAdmin,
  type BackupHarness,
} from './backup-support';

interface ManifestLine {
  database: string;
  ok: boolean;
  manifest: {
    backupId: string;
    object: { key: string; ciphertextBytes: number };
    rowCounts: Record<string, number>;
  };
}

const CANARY = `CANARY-${randomBytes(8).toString('hex')}-plaintext`;

/**
 * A database with what a dump has to carry faithfully: several tables, a table under forced
 * row-level security, bytea (about 20 MB of incompressible bytes, so the upload is multipart),
 * unicode, a sequence, grants, and a canary both in the data and in the schema (a table comment,
 * which a custom-format dump keeps uncompressed, so a plaintext dump would show it).
 */
async function seededDatabase(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  const client = new pg.Client({ connectionString: db.migratorUrl });
  await client.connect();
  try {
    await client.query(`
      CREATE TABLE person (
        id         uuid PRIMARY KEY,
        name       text NOT NULL,
        born       date,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE note (
        id        bigserial PRIMARY KEY,
        person_id uuid NOT NULL REFERENCES person (id),
        tenant    text NOT NULL,
        body      text NOT NULL
      );
      CREATE TABLE blob (id int PRIMARY KEY, data bytea NOT NULL);
      COMMENT ON TABLE person IS '${CANARY}';
      GRANT SELECT ON person, note TO ${pg.escapeIdentifier(`${db.database}_app`)};
      INSERT INTO person (id, name, born)
        SELECT md5(i::text)::uuid, 'Zoë Ōkubo 李雷 🍎 Māori ' || i, date '1950-01-01' + i
          FROM generate_series(1, 500) i;
      INSERT INTO note (person_id, tenant, body)
        SELECT md5((i % 500 + 1)::text)::uuid, 'trainer-' || (i % 7), repeat(md5(i::text), 3) || E'\\n\\ttab "quote" \\\\ backslash'
          FROM generate_series(1, 3000) i;
      INSERT INTO note (person_id, tenant, body) VALUES (md5('1')::uuid, 'trainer-0', '${CANARY}');
      INSERT INTO blob (id, data)
        SELECT r, (SELECT decode(string_agg(md5(r || ':' || j), ''), 'hex') FROM generate_series(1, 32768) j)
          FROM generate_series(1, 40) r;
      -- Forced: even the owner sees only its tenant's rows, so the dump must bypass it.
      ALTER TABLE note ENABLE ROW LEVEL SECURITY;
      ALTER TABLE note FORCE ROW LEVEL SECURITY;
      CREATE POLICY note_by_tenant ON note USING (tenant = current_setting('app.tenant', true));
    `);
  } catch (error) {
    await db.drop();
    throw error;
  } finally {
    await client.end();
  }
  return db;
}

/** Every file under `dir` (recursively, or only directly in it) changed since `since` that holds `needle`. */
async function filesHolding(
  dir: string,
  needle: Buffer,
  options: { since?: number; recursive?: boolean } = {},
): Promise<string[]> {
  const found: string[] = [];
  const since = options.since ?? 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: options.recursive ?? true });
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    try {
      const info = await stat(file);
      if (info.mtimeMs < since || info.size > 2 ** 31) continue;
      if ((await readFile(file)).includes(needle)) found.push(file);
    } catch {
      // gone or unreadable: not ours
    }
  }
  return found;
}

function manifestOf(stdout: string): ManifestLine['manifest'] {
  const line = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as ManifestLine;
  if (!line.ok) throw new Error(`backup failed: ${stdout}`);
  return line.manifest;
}

describe('backups and restores, through the backup CLI, on the real PostgreSQL and S3 server', () => {
  let harness: BackupHarness;
  let source: TestDatabase;
  const targets: TestDatabase[] = [];
  let manifest: ManifestLine['manifest'];
  let tmp: string;
  let started: number;

  /** A fresh, empty database with its two roles (no migrations), restored into as its migration role. */
  async function target(): Promise<TestDatabase> {
    const { adminUrl } = infraEnv();
    const database = randomName('test_');
    const db = await provisionDatabase({
      adminUrl,
      database,
      migratorPassword: randomBytes(18).toString('hex'),
      appPassword: randomBytes(18).toString('hex'),
    });
    const created = { ...db, drop: () => dropDatabase(adminUrl, database) };
    targets.push(created);
    return created;
  }

  function restore(into: TestDatabase, extra: Record<string, string> = {}) {
    return runCli(
      ['restore', '--db', source.database, '--backup', manifest.backupId, '--target', into.database],
      { ...harness.env, BACKUP_RESTORE_URL: into.migratorUrl, TMPDIR: tmp, ...extra },
    );
  }

  beforeAll(async () => {
    started = Date.now();
    harness = await createBackupHarness();
    source = await seededDatabase();
    await harness.setSources([source.database]);
    tmp = path.join(harness.dir, 'tmp');
    await mkdir(tmp, { recursive: true });
    const backup = await runCli(['backup', '--json'], { ...harness.env, TMPDIR: tmp });
    expect(backup.stderr).toBe('');
    expect(backup.code).toBe(0);
    manifest = manifestOf(backup.stdout);
  });

  afterAll(async () => {
    await Promise.all(targets.map((db) => db.drop()));
    await source.drop();
    await harness.cleanup();
  });

  test('a backup restored into an empty database holds exactly the data of the source', async () => {
    expect(manifest.rowCounts).toMatchObject({
      'public.blob': 40,
      'public.note': 3001,
      'public.person': 500,
    });
    const into = await target();
    const restored = await restore(into);
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
    expect(restored.stdout).toContain(
      `backup ${manifest.backupId} verified and restored into ${into.database}`,
    );
    expect(await tableDigests(into.database)).toEqual(await tableDigests(source.database));
    const shape = (database: string) =>
      withAdmin(database, async (client) => {
        const { rows } = await client.query(
          `SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, obj_description(c.oid, 'pg_class') AS comment,
                  (SELECT count(*) FROM pg_policies p WHERE p.tablename = c.relname) AS policies,
                  has_table_privilege($1, c.oid, 'SELECT') AS app_reads
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 1`,
          [`${source.database}_app`],
        );
        const sequence = await client.query<{ last_value: string }>('SELECT last_value FROM note_id_seq');
        return { tables: rows, sequence: sequence.rows[0]?.last_value };
      });
    // Row-level security, its policy, grants, comments and the sequence came back as they were.
    expect(await shape(into.database)).toEqual(await shape(source.database));
  });

  test('one flipped byte in the stored object is refused before anything reaches the target', async () => {
    const file = rawObjectFile(manifest.object.key);
    const original = await readRaw(manifest.object.key);
    const flipped = Buffer.from(original);
    const at = Math.floor(flipped.length / 2);
    flipped[at] = (flipped[at] ?? 0) ^ 0x40;
    await writeFile(file, flipped);
    try {
      const into = await target();
      const result = await restore(into);
      expect(result.code).toBe(1);
      expect(lastLine(result.stderr)).toBe(
        `backup: backup ${manifest.backupId}: ciphertext SHA-256 does not match its manifest`,
      );
      expect(await tablesOf(into.database)).toEqual([]);
    } finally {
      await writeFile(file, original);
    }
  });

  test('a truncated object is refused as truncated, and nothing reaches the target', async () => {
    const file = rawObjectFile(manifest.object.key);
    const original = await readRaw(manifest.object.key);
    await writeFile(file, original.subarray(0, original.length - 1000));
    try {
      const into = await target();
      const result = await restore(into);
      expect(result.code).toBe(1);
      expect(lastLine(result.stderr)).toBe(
        `backup: backup ${manifest.backupId}: truncated: the stored object has ${original.length - 1000} of the ${original.length} bytes its manifest records`,
      );
      expect(await tablesOf(into.database)).toEqual([]);
    } finally {
      await writeFile(file, original);
    }
  });

  test('the wrong key-encryption key, or a missing one, is refused by name, and nothing reaches the target', async () => {
    const wrong = await target();
    const withWrongKey = await restore(wrong, {
      BACKUP_KEK_DIR: await harness.otherKekDir('same-id-other-key'),
    });
    expect(withWrongKey.code).toBe(1);
    expect(lastLine(withWrongKey.stderr)).toMatch(
      new RegExp(
        `^backup: backup ${manifest.backupId}: the data key does not unwrap with key id ${harness.keyId} `,
      ),
    );
    expect(await tablesOf(wrong.database)).toEqual([]);

    const missing = await target();
    const withoutKey = await restore(missing, {
      BACKUP_KEK_DIR: await harness.otherKekDir('other-id'),
      BACKUP_KEK_ACTIVE_ID: 'test-2',
    });
    expect(withoutKey.code).toBe(1);
    expect(lastLine(withoutKey.stderr)).toBe(
      `backup: backup ${manifest.backupId}: key id ${harness.keyId} not available`,
    );
    expect(await tablesOf(missing.database)).toEqual([]);
  });

  test('a restore never merges into a database that already holds tables', async () => {
    const into = await target();
    await withAdmin(into.database, (client) => client.query('CREATE TABLE existing (id int)'));
    const result = await restore(into);
    expect(result.code).toBe(1);
    expect(lastLine(result.stderr)).toBe(
      `backup: target database ${into.database} is not empty (1 relations); restore only into an empty database`,
    );
    expect(await tablesOf(into.database)).toEqual(['existing']);
  });

  test('no plaintext of the dump touches the disk or the object store: a planted canary is found nowhere', async () => {
    const needle = Buffer.from(CANARY);
    // The scan can see the canary: a plain custom-format pg_dump shows it (in its table of contents).
    const plain = await promisify(execFile)(
      path.join(pgBinDir(), 'pg_dump'),
      ['--format=custom', '--dbname', adminTo(source.database)],
      {
        encoding: 'buffer',
        maxBuffer: 256 * 1024 * 1024,
      },
    );
    expect(plain.stdout.includes(needle)).toBe(true);
    // One more restore, so the scan also covers what a restore leaves behind.
    expect((await restore(await target())).code).toBe(0);
    const s3 = s3Env();
    const bucket = path.join(s3.S3_DATA_DIR, s3.S3_BUCKET);
    const stored = await readdir(path.join(bucket, harness.prefix), { recursive: true });
    expect(stored.filter((name) => name.endsWith('.tbk')).length).toBeGreaterThan(1);
    // The objects and manifests, versitygw's staging area for uploads, and older versions.
    expect(await filesHolding(path.join(bucket, harness.prefix), needle)).toEqual([]);
    expect(await filesHolding(path.join(bucket, '.sgwtmp'), needle, { since: started })).toEqual([]);
    expect(
      await filesHolding(path.join(path.dirname(s3.S3_DATA_DIR), 'versions'), needle, { since: started }),
    ).toEqual([]);
    // The CLI's temporary directory (TMPDIR), and the machine's.
    expect(await filesHolding(tmp, needle)).toEqual([]);
    expect(await filesHolding(tmpdir(), needle, { since: started, recursive: false })).toEqual([]);
  });

  test('a listing shows the backup from its manifest', async () => {
    const listed = await runCli(['list', '--db', source.database], harness.env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(`${source.database}\t${manifest.backupId}\t`);
  });

  test('pruning keeps the newest backup and the last one a drill proved, whatever the policy', async () => {
    const env = { ...harness.env, BACKUP_RETENTION: 'daily=1' };
    const ids = async () =>
      (await runCli(['list', '--db', source.database, '--json'], env)).stdout
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { backupId: string }).backupId);
    // The first backup is drilled: it becomes the last good one.
    const drill = await runCli(['drill', '--db', source.database], env);
    expect(drill.code).toBe(0);
    const second = manifestOf((await runCli(['backup', '--json'], env)).stdout).backupId;
    const third = manifestOf((await runCli(['backup', '--json'], env)).stdout).backupId;
    expect(await ids()).toEqual([third, second, manifest.backupId]);
    // daily=1 keeps the newest backup of today; the last good one stays too.
    const pruned = await runCli(['prune'], env);
    expect(pruned.code).toBe(0);
    expect(pruned.stdout.trim()).toBe(`prune ${source.database}: kept 2, removed 1`);
    expect(await ids()).toEqual([third, manifest.backupId]);
  });
});

describe('a backup that cannot be taken', () => {
  let harness: BackupHarness;
  let source: TestDatabase;

  beforeAll(async () => {
    harness = await createBackupHarness();
    source = await createTestDatabase();
    await withAdmin(source.database, (client) =>
      client.query('CREATE TABLE t (x text); INSERT INTO t VALUES (1)'),
    );
    await harness.setSources([source.database]);
  });

  afterAll(async () => {
    await source.drop();
    await harness.cleanup();
  });

  test('a pg_dump that dies half-way fails the backup with a clear error, and leaves no backup behind', async () => {
    // A stand-in pg_dump that writes 20 MB and then fails, as a lost connection would.
    const bin = path.join(harness.dir, 'failing-bin');
    await mkdir(bin, { recursive: true });
    await writeFile(
      path.join(bin, 'pg_dump'),
      '#!/bin/sh\nhead -c 20000000 /dev/urandom\necho "pg_dump: error: connection to server lost" >&2\nexit 3\n',
    );
    await chmod(path.join(bin, 'pg_dump'), 0o755);
    const result = await runCli(['backup'], { ...harness.env, PG_BIN_DIR: bin });
    expect(result.code).toBe(1);
    expect(lastLine(result.stderr)).toBe(
      `backup: failed: ${source.database}: pg_dump failed (3): pg_dump: error: connection to server lost`,
    );
    const s3 = s3Env();
    const stored = await readdir(path.join(s3.S3_DATA_DIR, s3.S3_BUCKET, harness.prefix), {
      recursive: true,
    }).catch(() => []);
    expect(stored.filter((name) => name.includes(`${source.database}/`))).toEqual([]);
    const runs = await withAdmin(harness.backupDb.database, (client) =>
      client.query<{ outcome: string; error: string }>('SELECT outcome, error FROM backup_run'),
    );
    expect(runs.rows).toEqual([
      { outcome: 'failure', error: 'pg_dump failed (3): pg_dump: error: connection to server lost' },
    ]);
  });

  test('an unreachable database fails with a one-line error that carries no credentials', async () => {
    const sources = JSON.parse(await readFile(harness.env.BACKUP_SOURCES_FILE ?? '', 'utf8')) as {
      databases: Record<string, string>;
    };
    const url = new URL(Object.values(sources.databases)[0] ?? '');
    url.pathname = '/no_such_database';
    const file = path.join(harness.dir, 'missing.json');
    await writeFile(file, JSON.stringify({ databases: { no_such_database: url.toString() } }));
    const result = await runCli(['backup'], { ...harness.env, BACKUP_SOURCES_FILE: file });
    expect(result.code).toBe(1);
    expect(lastLine(result.stderr)).toBe(
      'backup: failed: no_such_database: database "no_such_database" does not exist',
    );
    expect(result.stderr).not.toContain(decodeURIComponent(url.password));
  });
});

describe('restore drills, run by the backup service, as CI runs them', () => {
  let harness: BackupHarness;
  let auditDb: TestDatabase;
  let trackingDb: TestDatabase;
  let topicPrefix: string;
  let service: ManagedProcess | undefined;
  let audit: ManagedProcess | undefined;
  let client: BackupServiceClient | undefined;
  let ops: string;

  function api(): BackupServiceClient {
    if (!client) throw new Error('the backup service did not start');
    return client;
  }

  // The gateway's key pair, as the system tests make one: the API runs only for a signed admin.
  const keys = generateKeyPairSync('ed25519');
  let signer: PrincipalSigner | undefined;
  /** A principal as the gateway signs it, for the backup service. */
  async function as(role: PrincipalRole) {
    signer ??= await createPrincipalSigner(
      keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    );
    const principal = {
      userId: randomUUID(),
      role,
      sessionId: randomUUID(),
      verifiedEmail: null,
      plan: 'free' as const,
    };
    return principalMetadata(await signer.sign(principal, 'backup'));
  }

  /** The service's metrics, as Prometheus would scrape them. */
  async function metrics(): Promise<string> {
    return (await fetch(`${ops}/metrics`)).text();
  }

  function sample(text: string, name: string, labels: string): number | undefined {
    const line = text.split('\n').find((entry) => entry.startsWith(`${name}{${labels}}`));
    const value = line?.split(' ').at(-1);
    return value === undefined ? undefined : value === '+Inf' ? Infinity : Number(value);
  }

  /** The actions the audit service recorded from the backup service, read from its log. */
  async function auditedActions(): Promise<string[]> {
    return withAdmin(auditDb.database, async (admin) => {
      const { rows } = await admin.query<{ action: string }>(
        "SELECT action FROM audit_entry WHERE actor_service = 'backup' ORDER BY sequence",
      );
      return rows.map((row) => row.action);
    });
  }

  beforeAll(async () => {
    harness = await createBackupHarness();
    [auditDb, trackingDb] = await Promise.all([
      createTestDatabase(path.join(ROOT, 'services', 'audit', 'migrations')),
      createTestDatabase(path.join(ROOT, 'services', 'tracking', 'migrations')),
    ]);
    await harness.setSources([auditDb.database, trackingDb.database]);
    const { brokers } = infraEnv();
    const s3 = s3Env();
    topicPrefix = await createTestTopics();
    const [auditGrpc, auditOps, backupGrpc, backupOps] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    // The real audit service on its own database: it records the backup service's audit events.
    audit = await startProcess({
      name: 'audit',
      entry: path.join(ROOT, 'services', 'audit', 'src', 'main.ts'),
      env: {
        KAFKA_BROKERS: brokers.join(','),
        KAFKA_TOPIC_PREFIX: topicPrefix,
        ...kafkaServiceEnv('audit'),
        ...grpcServiceEnv('audit'),
        OTEL_SDK_DISABLED: 'true',
        OPS_PORT: String(auditOps),
        GRPC_PORT: String(auditGrpc),
        AUTH_GRPC_ADDR: '127.0.0.1:1',
        DATABASE_URL: auditDb.appUrl,
        ENCRYPTION_KEYS: `audit-1:${randomBytes(32).toString('base64')}`,
        ENCRYPTION_ACTIVE_KEY_ID: 'audit-1',
        // Audit takes part in data exports (#22) and will not start without its export store;
        // nothing here asks for an export.
        EXPORT_S3_ENDPOINT: s3.S3_ENDPOINT,
        EXPORT_S3_BUCKET: s3.S3_BUCKET,
        EXPORT_S3_PREFIX: `${harness.prefix}privacy/`,
        EXPORT_S3_FORCE_PATH_STYLE: 'true',
        EXPORT_S3_CREDENTIALS_DIR: s3.S3_CREDENTIALS_DIR,
        PRIVACY_EXPORT_RECIPIENT: (await generateExportKeyPair()).recipient,
      },
      readyUrl: `http://127.0.0.1:${auditOps}/readyz`,
    });
    ops = `http://127.0.0.1:${backupOps}`;
    const publicKeyFile = path.join(tmpdir(), `${randomName('backup-principal-')}.pem`);
    await writeFile(publicKeyFile, keys.publicKey.export({ type: 'spki', format: 'pem' }));
    service = await startProcess({
      name: 'backup',
      entry: path.join(ROOT, 'services', 'backup', 'src', 'main.ts'),
      env: {
        ...harness.env,
        KAFKA_TOPIC_PREFIX: topicPrefix,
        GRPC_PORT: String(backupGrpc),
        OPS_PORT: String(backupOps),
        BACKUP_AUDIT_DATABASE: auditDb.database,
        PRINCIPAL_PUBLIC_KEY_FILES: publicKeyFile,
      },
      readyUrl: `${ops}/readyz`,
    });
    // The test asks for backups and drills as the gateway does.
    client = createClient(BackupServiceClient, `127.0.0.1:${backupGrpc}`, {
      tls: grpcClientTls('gateway'),
      server: 'backup',
      deadlineMs: 300_000,
    });
  });

  afterAll(async () => {
    client?.close();
    const codes = await Promise.all([service?.stop(), audit?.stop()]);
    await Promise.all([auditDb.drop(), trackingDb.drop()]);
    await harness.cleanup();
    expect(codes).toEqual([0, 0]);
  });

  test('every metric exists for every database from start-up, and a drill that never ran counts as failed', async () => {
    const text = await metrics();
    for (const db of [auditDb.database, trackingDb.database]) {
      expect(sample(text, 'backup_last_success_timestamp_seconds', `db="${db}"`)).toBe(0);
      expect(sample(text, 'backup_restore_drill_success', `db="${db}"`)).toBe(0);
      expect(sample(text, 'backup_restore_drill_duration_seconds', `db="${db}"`)).toBe(0);
      expect(sample(text, 'backup_last_drill_timestamp_seconds', `db="${db}"`)).toBe(0);
      expect(sample(text, 'backup_size_bytes', `db="${db}"`)).toBe(0);
      expect(sample(text, 'backup_rpo_seconds', `db="${db}"`)).toBe(Infinity);
      expect(sample(text, 'backup_runs_total', `db="${db}",kind="drill",outcome="failure"`)).toBe(0);
    }
  });

  test('runs, lists and drills only for an admin the gateway vouched for (#20)', async () => {
    const none: string[] = [];
    await expect(callUnary(api().runBackup.bind(api()), { databases: none })).rejects.toMatchObject({
      code: 'unauthenticated',
    });
    await expect(callUnary(api().runDrill.bind(api()), { databases: none })).rejects.toMatchObject({
      code: 'unauthenticated',
    });
    await expect(
      callUnary(api().runBackup.bind(api()), { databases: none }, await as('client')),
    ).rejects.toMatchObject({ code: 'permission_denied' });
    await expect(
      callUnary(api().runDrill.bind(api()), { databases: none }, await as('trainer')),
    ).rejects.toMatchObject({ code: 'permission_denied' });
    await expect(callUnary(api().listBackups.bind(api()), { database: '' })).rejects.toMatchObject({
      code: 'unauthenticated',
    });
    await expect(
      callUnary(api().listDrills.bind(api()), { database: '', limit: 0 }, await as('client')),
    ).rejects.toMatchObject({ code: 'permission_denied' });
    // Nothing ran.
    expect(
      sample(
        await metrics(),
        'backup_runs_total',
        `db="${trackingDb.database}",kind="backup",outcome="success"`,
      ),
    ).toBe(0);
  });

  test("the drill restores each database's newest backup, verifies it, exports RTO and RPO, and audit sees it all", async () => {
    const backups = await callUnary(
      api().runBackup.bind(api()),
      { databases: [trackingDb.database] },
      await as('admin'),
    );
    expect(backups.results).toMatchObject([{ database: trackingDb.database, ok: true, error: '' }]);
    // The audit log now holds an entry for that backup: the next backup of the audit database
    // carries a chain with something in it, which the drill then verifies.
    await waitFor(async () => (await auditedActions()).includes('backup.completed'), {
      what: 'the audit entry of the backup',
    });
    const auditBackup = await callUnary(
      api().runBackup.bind(api()),
      { databases: [auditDb.database] },
      await as('admin'),
    );
    expect(auditBackup.results[0]?.ok).toBe(true);

    const drill = await callUnary(api().runDrill.bind(api()), { databases: [] }, await as('admin'));
    expect(drill.results.map((result) => [result.database, result.ok, result.error])).toEqual(
      [auditDb.database, trackingDb.database].sort().map((db) => [db, true, '']),
    );
    for (const result of drill.results) {
      expect(result.rtoSeconds).toBeGreaterThan(0);
      expect(result.rpoSeconds).toBeGreaterThanOrEqual(0);
    }
    // ListDrills (the admin console's Operations screen) finds both records in the bucket, as
    // the drill reported them, with the default targets.
    const listed = await callUnary(
      api().listDrills.bind(api()),
      { database: '', limit: 0 },
      await as('admin'),
    );
    expect(listed).toMatchObject({ rtoTargetSeconds: 3600, rpoTargetSeconds: 172_800 });
    expect(
      listed.drills.map((listedDrill) => [listedDrill.database, listedDrill.drillId, listedDrill.ok]).sort(),
    ).toEqual(drill.results.map((result) => [result.database, result.drillId, true]).sort());
    for (const listedDrill of listed.drills) {
      const reported = drill.results.find((result) => result.drillId === listedDrill.drillId);
      expect(listedDrill.rtoSeconds).toBe(reported?.rtoSeconds);
      expect(listedDrill.rpoSeconds).toBe(reported?.rpoSeconds);
    }
    const text = await metrics();
    for (const db of [auditDb.database, trackingDb.database]) {
      expect(sample(text, 'backup_restore_drill_success', `db="${db}"`)).toBe(1);
      expect(sample(text, 'backup_restore_drill_duration_seconds', `db="${db}"`)).toBeGreaterThan(0);
      expect(sample(text, 'backup_rpo_seconds', `db="${db}"`)).toBeLessThan(3600);
      expect(sample(text, 'backup_last_success_timestamp_seconds', `db="${db}"`)).toBeGreaterThan(0);
      expect(sample(text, 'backup_last_drill_timestamp_seconds', `db="${db}"`)).toBeGreaterThan(0);
      expect(sample(text, 'backup_size_bytes', `db="${db}"`)).toBeGreaterThan(0);
      expect(sample(text, 'backup_runs_total', `db="${db}",kind="drill",outcome="success"`)).toBe(1);
      expect(sample(text, 'backup_runs_total', `db="${db}",kind="backup",outcome="success"`)).toBe(1);
    }
    // The audit database's drill verified its hash chain up to the head its manifest recorded.
    const stored = await withAdmin(harness.backupDb.database, async (admin) => {
      const { rows } = await admin.query<{
        details: { checks: { name: string; ok: boolean; detail: string }[] };
      }>("SELECT details FROM backup_run WHERE kind = 'drill' AND database = $1", [auditDb.database]);
      return rows[0]?.details.checks ?? [];
    });
    const chainCheck = stored.find((check) => check.name === 'audit chain');
    expect(chainCheck?.ok).toBe(true);
    expect(chainCheck?.detail).toMatch(/^[1-9]\d* entries verify, ending at the head the manifest recorded$/);
    await waitFor(
      async () =>
        (await auditedActions()).filter((action) => action === 'backup.drill.completed').length === 2,
      { what: 'the audit entries of both drills' },
    );
    expect(await auditedActions()).toEqual([
      'backup.completed',
      'backup.completed',
      'backup.drill.completed',
      'backup.drill.completed',
    ]);
  });

  test('a drill of a damaged backup fails, and the metrics say so', async () => {
    const [newest] = (
      await callUnary(api().listBackups.bind(api()), { database: trackingDb.database }, await as('admin'))
    ).backups;
    if (!newest) throw new Error('no backup to damage');
    const file = rawObjectFile(newest.objectKey);
    const original = await readFile(file);
    const damaged = Buffer.from(original);
    damaged[damaged.length - 20] = (damaged[damaged.length - 20] ?? 0) ^ 0xff;
    await writeFile(file, damaged);
    try {
      const drill = await callUnary(
        api().runDrill.bind(api()),
        { databases: [trackingDb.database] },
        await as('admin'),
      );
      expect(drill.results).toMatchObject([
        {
          database: trackingDb.database,
          ok: false,
          backupId: newest.backupId,
          error: `backup ${newest.backupId}: ciphertext SHA-256 does not match its manifest`,
        },
      ]);
    } finally {
      await writeFile(file, original);
    }
    const text = await metrics();
    expect(sample(text, 'backup_restore_drill_success', `db="${trackingDb.database}"`)).toBe(0);
    // Its only backup is not restorable: no restorable backup, so the RPO is unbounded.
    expect(sample(text, 'backup_rpo_seconds', `db="${trackingDb.database}"`)).toBe(Infinity);
    expect(
      sample(text, 'backup_runs_total', `db="${trackingDb.database}",kind="drill",outcome="failure"`),
    ).toBe(1);
    await waitFor(async () => (await auditedActions()).includes('backup.drill.failed'), {
      what: 'the audit entry of the failed drill',
    });
    // Every result also went out on backup.run.v1: two backups and three drills.
    const kafka = createKafka({
      clientId: 'backup-test',
      ...infraEnv().kafka,
      log: createLogger({ service: 'test', level: 'warn' }),
    });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await waitFor(
        async () => {
          const offsets = await admin.fetchTopicOffsets(`${topicPrefix}backup.run.v1`);
          return offsets.reduce((sum, partition) => sum + Number(partition.high), 0) === 5;
        },
        { what: 'five events on backup.run.v1' },
      );
    } finally {
      await admin.disconnect();
    }
  });
});
