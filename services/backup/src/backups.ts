import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import type pg from 'pg';

import type { Deps } from './deps';
import { recordRun } from './runs';
import { BackupDecoder, BackupIntegrityError, DecryptStream, DigestStream, EncryptStream } from './format';
import {
  idOfKey,
  layout,
  manifestSchema,
  newId,
  type ChainHead,
  type Manifest,
  type StoredObject,
} from './manifest';
import {
  chainHead,
  connect,
  databaseOf,
  exitOf,
  inspect,
  redact,
  stderrTail,
  type Sources,
} from './postgres';

/** This program, as manifests record it. */
export const TOOL = {
  name: '@tracking/backup',
  version: (
    JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }
  ).version,
};

export type BackupOutcome =
  | { database: string; ok: true; manifest: Manifest; events: string[] }
  | { database: string; ok: false; error: string; events: string[] };

/** A failure to report as one line: our own messages as they are, anything else credential-free. */
export function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return redact(message)
    .replace(/:\s*\n\s*/g, ': ')
    .replace(/\s*\n\s*/g, '; ')
    .slice(0, 500);
}

/**
 * Holds a session advisory lock in the backup database for the length of `fn`, so that the
 * CronJob and an on-demand call never back up (or drill) the same database at once.
 */
export async function withRunLock<T>(pool: pg.Pool, name: string, fn: () => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let locked = false;
  try {
    const { rows } = await client.query<{ locked: boolean }>(
      "SELECT pg_try_advisory_lock(hashtext('backup-run'), hashtext($1)) AS locked",
      [name],
    );
    locked = rows[0]?.locked === true;
    if (!locked) throw new Error(`a ${name.replace(':', ' of ')} is already running`);
    return await fn();
  } finally {
    if (locked) {
      await client
        .query("SELECT pg_advisory_unlock(hashtext('backup-run'), hashtext($1))", [name])
        .catch(() => undefined);
    }
    client.release();
  }
}

export function configuredDatabases(sources: Sources, requested: readonly string[] = []): string[] {
  const all = Object.keys(sources.databases).sort();
  return requested.length === 0 ? all : [...new Set(requested)];
}

/** Backs up each database in turn (all configured ones when none is named). */
export async function runBackups(deps: Deps, requested: readonly string[] = []): Promise<BackupOutcome[]> {
  const databases = configuredDatabases(deps.sources, requested);
  const runId = newId();
  let config: Manifest['config'] | undefined;
  let auditHead: ChainHead | null = null;
  let configError: string | undefined;
  try {
    auditHead = await readAuditHead(deps);
    config = { runId, objects: await backUpConfiguration(deps, runId, auditHead) };
  } catch (error) {
    configError = `critical configuration not backed up: ${describe(error)}`;
    deps.log.error({ event: 'backup.config.failed', err: describe(error) }, 'configuration backup failed');
  }
  const outcomes: BackupOutcome[] = [];
  for (const database of databases) {
    if (!(database in deps.sources.databases)) {
      outcomes.push({ database, ok: false, error: `database ${database} is not configured`, events: [] });
      continue;
    }
    const startedAt = new Date();
    try {
      if (!config) throw new Error(configError ?? 'critical configuration not backed up');
      const runConfig = config;
      const manifest = await withRunLock(deps.pool, `backup:${database}`, () =>
        backUpDatabase(deps, database, runConfig, auditHead),
      );
      const events = await recordRun(deps.pool, { kind: 'backup', ok: true, manifest });
      deps.log.info(
        {
          event: 'backup.completed',
          database,
          backupId: manifest.backupId,
          ciphertextBytes: manifest.object.ciphertextBytes,
          seconds: (Date.parse(manifest.finishedAt) - Date.parse(manifest.startedAt)) / 1000,
        },
        'backup completed',
      );
      outcomes.push({ database, ok: true, manifest, events });
    } catch (error) {
      const message = describe(error);
      deps.log.error({ event: 'backup.failed', database, err: message }, 'backup failed');
      const events = await recordRun(deps.pool, {
        kind: 'backup',
        ok: false,
        database,
        startedAt,
        error: message,
      }).catch((recordError: unknown) => {
        deps.log.error({ err: describe(recordError), database }, 'could not record the failed backup');
        return [];
      });
      outcomes.push({ database, ok: false, error: message, events });
    }
  }
  return outcomes;
}

async function readAuditHead(deps: Deps): Promise<ChainHead | null> {
  const url = deps.sources.databases[deps.config.BACKUP_AUDIT_DATABASE];
  if (!url) return null;
  const client = await connect(url);
  try {
    return await chainHead(client);
  } finally {
    await client.end();
  }
}

/** The configuration files and the audit chain head, each its own encrypted object. */
async function backUpConfiguration(
  deps: Deps,
  runId: string,
  auditHead: ChainHead | null,
): Promise<Manifest['config']['objects']> {
  const items: { name: string; bytes: Buffer }[] = [];
  for (const file of deps.config.BACKUP_CONFIG_FILES) {
    const bytes = await readFile(file).catch(() => {
      throw new Error(`cannot read ${file} (BACKUP_CONFIG_FILES)`);
    });
    items.push({ name: path.basename(file), bytes });
  }
  items.push({
    name: 'audit-chain-head.json',
    bytes: Buffer.from(`${JSON.stringify({ readAt: new Date().toISOString(), head: auditHead })}\n`),
  });
  const objects: Manifest['config']['objects'] = [];
  for (const item of items) {
    const stored = await uploadEncrypted(deps, {
      key: deps.store.key(layout.config(runId, item.name)),
      backupId: runId,
      content: `config:${item.name}`,
      source: Readable.from([item.bytes]),
    });
    objects.push({ name: item.name, ...stored.object });
  }
  return objects;
}

/** Streams `source` through encryption and hashing into the bucket. */
async function uploadEncrypted(
  deps: Deps,
  options: {
    key: string;
    backupId: string;
    content: string;
    source: Readable;
    beforeFinal?: () => Promise<void>;
    /** Called when the upload fails, to stop the source (pg_dump). */
    abort?: () => void;
  },
): Promise<{ object: StoredObject; plaintextBytes: number; chunkBytes: number }> {
  const encrypt = new EncryptStream({
    keyring: deps.keyring,
    backupId: options.backupId,
    content: options.content,
    beforeFinal: options.beforeFinal,
  });
  const digest = new DigestStream();
  const body = new PassThrough();
  const streamed = pipeline(options.source, encrypt, digest, body);
  const uploaded = deps.store.upload(options.key, body).catch((error: unknown) => {
    // The upload gave up: stop reading the source, or it would wait on a full pipe forever.
    body.destroy(error instanceof Error ? error : new Error(String(error)));
    options.abort?.();
    throw error;
  });
  const [stream, upload] = await Promise.allSettled([streamed, uploaded]);
  if (stream.status === 'rejected') throw stream.reason;
  if (upload.status === 'rejected') throw upload.reason;
  return {
    object: {
      key: options.key,
      versionId: upload.value.versionId,
      ciphertextBytes: digest.bytes,
      ciphertextSha256: digest.digest(),
    },
    plaintextBytes: encrypt.plaintextBytes,
    chunkBytes: encrypt.header.chunkBytes,
  };
}

/**
 * One database: a repeatable-read snapshot is exported, pg_dump dumps exactly that snapshot
 * while the same transaction counts each table's rows, and the dump streams through encryption
 * into the bucket. The manifest is written last, so a backup without one never counts.
 */
async function backUpDatabase(
  deps: Deps,
  database: string,
  config: Manifest['config'],
  auditHead: ChainHead | null,
): Promise<Manifest> {
  const url = deps.sources.databases[database];
  if (!url) throw new Error(`database ${database} is not configured`);
  const startedAt = new Date();
  const backupId = newId(startedAt);
  const source = await connect(url, 'backup-snapshot');
  try {
    await source.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const { rows } = await source.query<{ snapshot: string }>('SELECT pg_export_snapshot() AS snapshot');
    const snapshot = rows[0]?.snapshot;
    if (!snapshot) throw new Error('no snapshot exported');
    const dump = deps.tools.dump(url, snapshot);
    const stderr = stderrTail(dump.stderr);
    const exited = exitOf(dump);
    const isAudit = database === deps.config.BACKUP_AUDIT_DATABASE;
    const [uploaded, inspected] = await Promise.allSettled([
      uploadEncrypted(deps, {
        key: deps.store.key(layout.object(database, backupId)),
        backupId,
        content: database,
        source: dump.stdout,
        beforeFinal: async () => {
          const { code, signal } = await exited;
          if (code !== 0)
            throw new Error(`pg_dump failed (${code ?? signal ?? '?'}): ${stderr() || 'no message'}`);
        },
        abort: () => dump.kill('SIGKILL'),
      }),
      inspect(source, { auditChain: isAudit }),
    ]);
    if (uploaded.status === 'rejected' || inspected.status === 'rejected') {
      dump.kill('SIGKILL');
      throw uploaded.status === 'rejected' ? uploaded.reason : (inspected as PromiseRejectedResult).reason;
    }
    await source.query('COMMIT');
    const manifest = manifestSchema.parse({
      manifestVersion: 1,
      backupId,
      database,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      object: uploaded.value.object,
      plaintextBytes: uploaded.value.plaintextBytes,
      encryption: {
        format: 'TRKBKP01',
        cipher: 'AES-256-GCM',
        chunkBytes: uploaded.value.chunkBytes,
        keyId: deps.keyring.activeKeyId,
      },
      schemaVersion: inspected.value.schemaVersion,
      serverVersion: inspected.value.serverVersion,
      pgDumpVersion: deps.tools.dumpVersion(),
      tool: TOOL,
      rowCounts: inspected.value.rowCounts,
      // The audit database's own backup records the head of the snapshot it holds.
      auditChainHead: isAudit ? inspected.value.auditChainHead : auditHead,
      config,
    } satisfies Manifest);
    await deps.store.putJson(deps.store.key(layout.manifest(database, backupId)), manifest);
    return manifest;
  } finally {
    await source.end().catch(() => undefined);
  }
}

/** Every manifest of a database, oldest first. */
export async function listManifests(deps: Pick<Deps, 'store'>, database: string): Promise<Manifest[]> {
  const keys = await deps.store.list(deps.store.key(layout.manifests(database)));
  const manifests: Manifest[] = [];
  for (const key of keys.filter((name) => name.endsWith('.json'))) {
    const manifest = await deps.store.getJson(key, manifestSchema);
    if (manifest) manifests.push(manifest);
  }
  return manifests;
}

/** The newest manifest of a database, reading only that one. */
export async function newestManifest(
  deps: Pick<Deps, 'store'>,
  database: string,
): Promise<Manifest | undefined> {
  const keys = (await deps.store.list(deps.store.key(layout.manifests(database)))).filter((key) =>
    key.endsWith('.json'),
  );
  const key = keys.at(-1);
  return key ? deps.store.getJson(key, manifestSchema) : undefined;
}

export async function findManifest(
  deps: Pick<Deps, 'store'>,
  database: string,
  backupId: string,
): Promise<Manifest> {
  const manifest = await deps.store.getJson(
    deps.store.key(layout.manifest(database, backupId)),
    manifestSchema,
  );
  if (!manifest) throw new Error(`backup ${backupId} of ${database} not found (no manifest)`);
  if (manifest.backupId !== backupId || manifest.database !== database) {
    throw new Error(`backup ${backupId}: its manifest names another backup`);
  }
  return manifest;
}

/**
 * The verification pass: streams the stored object once, hashing it and authenticating every
 * chunk down to the final-chunk marker, and keeps nothing. Hashing goes on to the end even past
 * a failed chunk, so the error names the most basic problem: a short object, then a digest that
 * differs from the manifest, then whatever the format check found (a missing key, a chunk).
 */
export async function verifyObject(deps: Pick<Deps, 'store' | 'keyring'>, manifest: Manifest): Promise<void> {
  const body = await deps.store.read(manifest.object.key, manifest.object.versionId);
  const hash = createHash('sha256');
  const decoder = new BackupDecoder({
    keyring: deps.keyring,
    backupId: manifest.backupId,
    content: manifest.database,
  });
  let bytes = 0;
  let failure: Error | undefined;
  const failed = (error: unknown) => (error instanceof Error ? error : new Error(String(error)));
  for await (const chunk of body as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
    if (failure === undefined) {
      try {
        decoder.write(chunk);
      } catch (error) {
        failure = failed(error);
      }
    }
  }
  if (failure === undefined) {
    try {
      decoder.end();
    } catch (error) {
      failure = failed(error);
    }
  }
  const expected = manifest.object;
  if (bytes < expected.ciphertextBytes) {
    throw new BackupIntegrityError(
      'truncated',
      `backup ${manifest.backupId}: truncated: the stored object has ${bytes} of the ${expected.ciphertextBytes} bytes its manifest records`,
    );
  }
  if (bytes !== expected.ciphertextBytes || hash.digest('hex') !== expected.ciphertextSha256) {
    throw new BackupIntegrityError(
      'sha256-mismatch',
      `backup ${manifest.backupId}: ciphertext SHA-256 does not match its manifest`,
    );
  }
  if (failure !== undefined) throw failure;
}

export class RestoreError extends Error {
  override readonly name = 'RestoreError';
}

/** Refuses a target that already holds anything: a restore never merges into live data. */
async function requireEmpty(url: string): Promise<void> {
  const client = await connect(url, 'backup-restore-check');
  try {
    const { rows } = await client.query<{ relations: string }>(
      `SELECT count(*) AS relations FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
          AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')`,
    );
    const relations = Number(rows[0]?.relations ?? 0);
    if (relations > 0) {
      throw new RestoreError(
        `target database ${databaseOf(url)} is not empty (${relations} relations); restore only into an empty database`,
      );
    }
  } finally {
    await client.end();
  }
}

/**
 * Verifies a backup completely (verifyObject), and only then streams it a second time through
 * decryption into pg_restore, in a single transaction. Nothing touches the target unless the
 * whole object checked out; and should the second read differ, pg_restore is killed before its
 * input ends, so its transaction rolls back.
 */
export async function restoreBackup(
  deps: Pick<Deps, 'store' | 'keyring' | 'tools' | 'log'>,
  manifest: Manifest,
  target: { url: string; role?: string },
): Promise<void> {
  await requireEmpty(target.url);
  await verifyObject(deps, manifest);
  const restore = deps.tools.restore(target.url, { role: target.role });
  const stderr = stderrTail(restore.stderr);
  restore.stdout.resume();
  const exited = exitOf(restore);
  const body = await deps.store.read(manifest.object.key, manifest.object.versionId);
  try {
    await pipeline(
      body,
      new DecryptStream({ keyring: deps.keyring, backupId: manifest.backupId, content: manifest.database }),
      killOnError(restore),
    );
  } catch (error) {
    restore.kill('SIGKILL');
    await exited;
    if (error instanceof BackupIntegrityError) throw error;
    throw new RestoreError(
      `backup ${manifest.backupId}: restore stopped: ${describe(error)}${stderrNote(stderr())}`,
    );
  }
  const { code, signal } = await exited;
  if (code !== 0) {
    throw new RestoreError(
      `backup ${manifest.backupId}: pg_restore failed (${code ?? signal ?? '?'})${stderrNote(stderr())}`,
    );
  }
}

function stderrNote(text: string): string {
  return text ? `: ${text}` : '';
}

/**
 * pg_restore's stdin, ended only after the last authenticated chunk. On any failure upstream the
 * process is killed first, so it never sees an end of input that could look like a complete
 * archive and commit.
 */
function killOnError(child: { stdin: Writable; kill(signal: NodeJS.Signals): boolean }): Writable {
  const input: Writable = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (child.stdin.write(chunk)) callback();
      else child.stdin.once('drain', () => callback());
    },
    final(callback) {
      child.stdin.end(callback);
    },
    destroy(error, callback) {
      if (error) child.kill('SIGKILL');
      callback(error);
    },
  });
  // pg_restore gone early (it failed on its own): its pipe breaks, and that ends the pipeline.
  child.stdin.on('error', (error) => input.destroy(error));
  return input;
}

/** Ids of every backup a database has a manifest for, oldest first. */
export async function backupIds(deps: Pick<Deps, 'store'>, database: string): Promise<string[]> {
  return (await deps.store.list(deps.store.key(layout.manifests(database))))
    .filter((key) => key.endsWith('.json'))
    .map(idOfKey);
}
