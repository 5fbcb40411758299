import {
  ERASE_SUBJECT_FUNCTION,
  ERASURE_LEDGER_PREFIX,
  erasureLedgerEntrySchema,
  type ErasureLedgerEntry,
} from '@tracking/contracts';
import pg from 'pg';

import type { Config } from './config';
import { connect } from './postgres';
import { createStore, type Store } from './store';

/**
 * The erasure ledger (docs/privacy.md, "Backups and erasure"): one object per erased person,
 * `<ERASURE_LEDGER_S3_PREFIX>erasure-ledger/<subjectId>.json`, written by the privacy service
 * before an erasure starts. A backup taken before the erasure still holds the person, so every
 * restore, the drills included, calls each restored database's `privacy_erase_subject(uuid)` for
 * every entry before the database is checked or used. A restore never goes ahead without the
 * whole ledger: an entry that cannot be listed, read or parsed fails it.
 */
export class ErasureLedgerError extends Error {
  override readonly name = 'ErasureLedgerError';
}

export interface ErasureLedger {
  /** Every entry, oldest erasure first; throws ErasureLedgerError when any part cannot be read. */
  read(): Promise<ErasureLedgerEntry[]>;
  close(): void;
}

const ENTRY_KEY = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.json$/;

/** The ledger in its own bucket, with its own (read-only) credentials; the backup's S3_* otherwise. */
export function createErasureLedger(config: Config): ErasureLedger {
  const bucket = config.ERASURE_LEDGER_S3_BUCKET;
  if (!bucket) {
    return {
      read: () =>
        Promise.reject(
          new ErasureLedgerError(
            'ERASURE_LEDGER_S3_BUCKET is not set: a restore without the erasure ledger could bring erased people back',
          ),
        ),
      close: () => undefined,
    };
  }
  const store = createStore({
    ...config,
    S3_BUCKET: bucket,
    S3_PREFIX: config.ERASURE_LEDGER_S3_PREFIX,
    S3_ENDPOINT: config.ERASURE_LEDGER_S3_ENDPOINT ?? config.S3_ENDPOINT,
    S3_REGION: config.ERASURE_LEDGER_S3_REGION ?? config.S3_REGION,
    S3_FORCE_PATH_STYLE: config.ERASURE_LEDGER_S3_FORCE_PATH_STYLE ?? config.S3_FORCE_PATH_STYLE,
    S3_CREDENTIALS_DIR: config.ERASURE_LEDGER_S3_CREDENTIALS_DIR ?? config.S3_CREDENTIALS_DIR,
  });
  return { read: () => readLedger(store), close: () => store.close() };
}

export async function readLedger(
  store: Pick<Store, 'list' | 'getJson' | 'key'>,
): Promise<ErasureLedgerEntry[]> {
  const prefix = store.key(ERASURE_LEDGER_PREFIX);
  let keys: string[];
  try {
    keys = await store.list(prefix);
  } catch (error) {
    throw new ErasureLedgerError(`the erasure ledger cannot be listed: ${message(error)}`);
  }
  const entries: ErasureLedgerEntry[] = [];
  for (const key of keys) {
    const subject = ENTRY_KEY.exec(key.slice(prefix.length))?.[1];
    if (!subject) throw new ErasureLedgerError(`the erasure ledger holds ${key}, which is not an entry`);
    let entry: ErasureLedgerEntry | undefined;
    try {
      entry = await store.getJson(key, erasureLedgerEntrySchema);
    } catch (error) {
      throw new ErasureLedgerError(`erasure ledger entry ${key} cannot be read: ${message(error)}`);
    }
    if (!entry) throw new ErasureLedgerError(`erasure ledger entry ${key} vanished while it was read`);
    if (entry.subjectId !== subject)
      throw new ErasureLedgerError(`erasure ledger entry ${key} names another subject`);
    entries.push(entry);
  }
  return entries.sort((a, b) => Date.parse(a.erasingSince) - Date.parse(b.erasingSince));
}

export interface Reapplied {
  /** Whether the restored database defines privacy_erase_subject(uuid) at all. */
  defined: boolean;
  /** Ledger entries the function was called for. */
  entries: number;
}

/** What `privacy_erase_subject` answers: rows erased per table; a second call answers zeros. */
function erased(counts: unknown): number {
  if (typeof counts !== 'object' || counts === null) return 0;
  return Object.values(counts).reduce<number>(
    (sum, value) => sum + (typeof value === 'number' ? value : 0),
    0,
  );
}

/**
 * Calls `privacy_erase_subject(uuid)` of the database at `url` for every entry, in one
 * transaction: the function is idempotent, so a person the backup never held costs a no-op, and
 * a failure leaves nothing half-applied (the caller then fails the restore). A database that
 * does not define the function (the backup service's own, notifications) holds no one by user id.
 */
export async function reapplyLedger(url: string, entries: readonly ErasureLedgerEntry[]): Promise<Reapplied> {
  const client = await connect(url, 'backup-erasure-ledger');
  try {
    const { rows } = await client.query<{ schema: string }>(
      `SELECT n.nspname AS schema FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE p.proname = $1 AND p.pronargs = 1 AND p.proargtypes[0] = 'uuid'::regtype
        ORDER BY n.nspname = 'public' DESC, n.nspname`,
      [ERASE_SUBJECT_FUNCTION],
    );
    const schema = rows[0]?.schema;
    if (schema === undefined) return { defined: false, entries: 0 };
    const fn = `${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(ERASE_SUBJECT_FUNCTION)}`;
    const call = async (subjectId: string) =>
      erased(
        (await client.query<{ counts: unknown }>(`SELECT ${fn}($1::uuid) AS counts`, [subjectId])).rows[0]
          ?.counts,
      );
    try {
      await client.query('BEGIN');
      for (const entry of entries) await call(entry.subjectId);
      await client.query('COMMIT');
      // The proof it held: the function is idempotent, so a second call, rolled back, must find
      // nothing left to erase of anyone in the ledger.
      await client.query('BEGIN');
      let left = 0;
      for (const entry of entries) left += await call(entry.subjectId);
      await client.query('ROLLBACK');
      if (left > 0) throw new Error(`a second pass still found ${left} rows of erased people`);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw new ErasureLedgerError(
        `${ERASE_SUBJECT_FUNCTION} failed on the restored database: ${message(error)}`,
        {
          cause: error,
        },
      );
    }
    return { defined: true, entries: entries.length };
  } finally {
    await client.end().catch(() => undefined);
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
