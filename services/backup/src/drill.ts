import { randomBytes } from 'node:crypto';

import pg from 'pg';

import { ERASE_SUBJECT_FUNCTION } from '@tracking/contracts';

import { verifyAuditChain } from './audit-chain';
import { configuredDatabases, describe, newestManifest, restoreBackup, withRunLock } from './backups';
import type { Deps } from './deps';
import { reapplyLedger } from './erasure-ledger';
import { recordRun } from './runs';
import {
  drillRecordSchema,
  idOfKey,
  layout,
  newId,
  type DrillCheck,
  type DrillRecord,
  type Manifest,
} from './manifest';
import { connect, inspect, withDatabase } from './postgres';

export type DrillOutcome = DrillRecord & { events: string[] };

/**
 * Restore drills: for each database, its newest backup is verified and restored into a scratch
 * database (`drill_<db>_<hex>`, made and dropped by the drill role), then checked: every table
 * and its row count against the manifest, the migration version, and for the audit database the
 * whole hash chain, ending at the head the manifest recorded. The RTO is the wall time from the
 * start to that checked database; the RPO is the restored backup's age when the drill started.
 * A drill with nothing to restore is a failed drill.
 */
export async function runDrills(deps: Deps, requested: readonly string[] = []): Promise<DrillOutcome[]> {
  const outcomes: DrillOutcome[] = [];
  for (const database of configuredDatabases(deps.sources, requested)) {
    const startedAt = new Date();
    const drillId = newId(startedAt);
    if (!(database in deps.sources.databases)) {
      outcomes.push({
        ...failed(drillId, database, startedAt, null, null, `database ${database} is not configured`, []),
        events: [],
      });
      continue;
    }
    let record: DrillRecord;
    try {
      record = await withRunLock(deps.pool, `drill:${database}`, () =>
        drill(deps, database, drillId, startedAt),
      );
    } catch (error) {
      record = failed(drillId, database, startedAt, null, null, describe(error), []);
    }
    try {
      await deps.store.putJson(deps.store.key(layout.drill(database, drillId)), record);
    } catch (error) {
      deps.log.error({ err: describe(error), database, drillId }, 'could not store the drill record');
    }
    const events = await recordRun(deps.pool, { kind: 'drill', record }).catch((error: unknown) => {
      deps.log.error({ err: describe(error), database, drillId }, 'could not record the drill');
      return [];
    });
    deps.log[record.ok ? 'info' : 'error'](
      {
        event: record.ok ? 'backup.drill.completed' : 'backup.drill.failed',
        database,
        drillId,
        backupId: record.backupId,
        rtoSeconds: record.rtoSeconds,
        rpoSeconds: record.rpoSeconds,
        err: record.error ?? undefined,
      },
      record.ok ? 'restore drill passed' : 'restore drill failed',
    );
    outcomes.push({ ...record, events });
  }
  return outcomes;
}

function failed(
  drillId: string,
  database: string,
  startedAt: Date,
  backupId: string | null,
  rpoSeconds: number | null,
  error: string,
  checks: DrillCheck[],
): DrillRecord {
  const finishedAt = new Date();
  return {
    drillVersion: 1,
    drillId,
    database,
    backupId,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    ok: false,
    error,
    rtoSeconds: (finishedAt.getTime() - startedAt.getTime()) / 1000,
    rpoSeconds,
    checks,
  };
}

async function drill(deps: Deps, database: string, drillId: string, startedAt: Date): Promise<DrillRecord> {
  const manifest = await newestManifest(deps, database);
  if (!manifest)
    return failed(drillId, database, startedAt, null, null, `no backup of ${database} to restore`, []);
  const rpoSeconds = Math.max(0, (startedAt.getTime() - Date.parse(manifest.finishedAt)) / 1000);
  const drillUrl = deps.sources.drill;
  if (!drillUrl) {
    return failed(
      drillId,
      database,
      startedAt,
      manifest.backupId,
      rpoSeconds,
      'BACKUP_SOURCES_FILE names no drill connection',
      [],
    );
  }
  // Read before anything is restored: without the whole ledger there is no drill to run.
  try {
    await deps.ledger.read();
  } catch (error) {
    return failed(drillId, database, startedAt, manifest.backupId, rpoSeconds, describe(error), [
      { name: 'erasure ledger', ok: false, detail: describe(error) },
    ]);
  }
  const admin = await connect(drillUrl, 'backup-drill');
  const scratch = `drill_${database}_${randomBytes(4).toString('hex')}`;
  try {
    await dropLeftovers(admin, database);
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(scratch)}`);
    await admin.query(`REVOKE ALL ON DATABASE ${pg.escapeIdentifier(scratch)} FROM PUBLIC`);
    const target = withDatabase(drillUrl, scratch);
    try {
      await restoreBackup(deps, manifest, { url: target });
    } catch (error) {
      return failed(drillId, database, startedAt, manifest.backupId, rpoSeconds, describe(error), [
        { name: 'restore', ok: false, detail: describe(error) },
      ]);
    }
    const checks = [
      { name: 'restore', ok: true, detail: `restored into a scratch database` },
      ...(await verifyRestored(target, manifest, database === deps.config.BACKUP_AUDIT_DATABASE, () =>
        ledgerCheck(deps, target),
      )),
    ];
    const finishedAt = new Date();
    const problems = checks.filter((check) => !check.ok);
    return {
      drillVersion: 1,
      drillId,
      database,
      backupId: manifest.backupId,
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      ok: problems.length === 0,
      error:
        problems.length === 0 ? null : problems.map((check) => `${check.name}: ${check.detail}`).join('; '),
      rtoSeconds: (finishedAt.getTime() - startedAt.getTime()) / 1000,
      rpoSeconds,
      checks,
    };
  } finally {
    await admin
      .query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(scratch)} WITH (FORCE)`)
      .catch((error: unknown) => {
        deps.log.warn({ err: describe(error), database: scratch }, 'could not drop the scratch database');
      });
    await admin.end().catch(() => undefined);
  }
}

/**
 * The newest `limit` drill records of the databases, newest first. Ids start with the drill's
 * start time, so the keys sort by it; only the records shown are read.
 */
export async function listDrills(
  deps: Pick<Deps, 'store'>,
  databases: readonly string[],
  limit: number,
): Promise<DrillRecord[]> {
  const keys = (
    await Promise.all(databases.map((database) => deps.store.list(deps.store.key(layout.drills(database)))))
  )
    .flat()
    .filter((key) => key.endsWith('.json'))
    .sort((a, b) => idOfKey(b).localeCompare(idOfKey(a)))
    .slice(0, limit);
  const records = await Promise.all(keys.map((key) => deps.store.getJson(key, drillRecordSchema)));
  return records.filter((record): record is DrillRecord => record !== undefined);
}

/** Scratch databases a crashed drill of this database left behind (the run lock says none is in use). */
async function dropLeftovers(admin: pg.Client, database: string): Promise<void> {
  const { rows } = await admin.query<{ name: string }>(
    `SELECT datname AS name FROM pg_database
      WHERE datname ~ $1 AND pg_get_userbyid(datdba) = current_user`,
    [`^drill_${database}_[0-9a-f]{8}$`],
  );
  for (const { name } of rows)
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
}

/**
 * The erasure ledger re-applied to the restored copy, as a real restore does: the same read, the
 * same function calls. Its outcome is a check of the drill; a ledger that cannot be read or
 * applied fails it.
 */
async function ledgerCheck(deps: Deps, url: string): Promise<DrillCheck> {
  try {
    const result = await reapplyLedger(url, await deps.ledger.read());
    return {
      name: 'erasure ledger',
      ok: true,
      detail: result.defined
        ? `${result.entries} erasures re-applied`
        : `no ${ERASE_SUBJECT_FUNCTION}: the database holds no one by user id`,
      erasuresReapplied: result.entries,
    };
  } catch (error) {
    return { name: 'erasure ledger', ok: false, detail: describe(error) };
  }
}

/**
 * The verification queries, as the drill role (which bypasses row-level security to count). The
 * row counts are compared with the manifest as restored, before the ledger is re-applied (erased
 * people's rows are not in the manifest's counts); the rest, the audit chain included, after it,
 * so the drill shows that re-applied erasures leave the chain verifiable.
 */
async function verifyRestored(
  url: string,
  manifest: Manifest,
  auditDatabase: boolean,
  applyLedger: () => Promise<DrillCheck>,
): Promise<DrillCheck[]> {
  const client = await connect(url, 'backup-drill-verify');
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const asRestored = await inspect(client, { auditChain: false });
    await client.query('COMMIT');
    const checks: DrillCheck[] = [
      rowCountCheck(manifest.rowCounts, asRestored.rowCounts),
      await applyLedger(),
    ];
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const restored = await inspect(client, { auditChain: auditDatabase });
    const same = (a: string | null, b: string | null) => a === b;
    checks.push({
      name: 'schema version',
      ok:
        same(manifest.schemaVersion.service, restored.schemaVersion.service) &&
        same(manifest.schemaVersion.kit, restored.schemaVersion.kit),
      detail: `service ${restored.schemaVersion.service ?? 'none'}, kit ${restored.schemaVersion.kit ?? 'none'}`,
    });
    if (auditDatabase) checks.push(await auditChainCheck(client, manifest));
    await client.query('COMMIT');
    return checks;
  } finally {
    await client.end();
  }
}

function rowCountCheck(expected: Record<string, number>, actual: Record<string, number>): DrillCheck {
  const problems: string[] = [];
  for (const [table, rows] of Object.entries(expected)) {
    if (!(table in actual)) problems.push(`${table} missing`);
    else if (actual[table] !== rows)
      problems.push(`${table}: ${String(actual[table])} rows, the manifest says ${rows}`);
  }
  for (const table of Object.keys(actual))
    if (!(table in expected)) problems.push(`${table} not in the manifest`);
  const total = Object.values(expected).reduce((sum, rows) => sum + rows, 0);
  return {
    name: 'row counts',
    ok: problems.length === 0,
    detail:
      problems.length === 0
        ? `${Object.keys(expected).length} tables, ${total} rows, as in the manifest`
        : problems.slice(0, 5).join('; '),
  };
}

async function auditChainCheck(client: pg.Client, manifest: Manifest): Promise<DrillCheck> {
  const result = await verifyAuditChain(client);
  if (!result.intact) {
    return {
      name: 'audit chain',
      ok: false,
      detail: `broken at sequence ${result.brokenAt} (${result.reason}) after ${result.entries} intact entries`,
    };
  }
  const expected = manifest.auditChainHead;
  const matches =
    expected === null
      ? result.head === null
      : result.head?.sequence === expected.sequence && result.head.hash === expected.hash;
  return {
    name: 'audit chain',
    ok: matches,
    detail: matches
      ? `${result.entries} entries verify, ending at the head the manifest recorded`
      : `${result.entries} entries verify, but end at ${result.head?.sequence ?? 'nothing'}, not the recorded head ${expected?.sequence ?? 'none'}`,
  };
}
