import type { MetricsRegistry } from '@tracking/kit';
import type pg from 'pg';
import { Counter, Gauge } from 'prom-client';

import { describe, newestManifest } from './backups';
import type { Deps } from './deps';
import { countRuns } from './runs';
import { drillRecordSchema, layout, manifestSchema } from './manifest';

const KINDS = ['backup', 'drill'] as const;
const OUTCOMES = ['success', 'failure'] as const;

/**
 * The backup metrics, served by the long-running service. They are derived from what every run
 * leaves behind (the manifests and drill records in the bucket, the run records in the backup
 * database), not from this process's own runs, so the CronJobs' runs show as well. Each exists
 * for every configured database from start-up: before any backup, the last-success time is 0
 * and the RPO +Inf, and before any drill, drill success is 0. A drill not run counts as failed.
 */
export function createBackupMetrics(registry: MetricsRegistry, databases: readonly string[]) {
  const state = new Map<
    string,
    {
      lastSuccess: number;
      restorableFinish: number;
      size: number;
      drillOk: number;
      drillSeconds: number;
      lastDrill: number;
      erasuresReapplied: number;
    }
  >();
  for (const database of databases) {
    state.set(database, {
      lastSuccess: 0,
      restorableFinish: 0,
      size: 0,
      drillOk: 0,
      drillSeconds: 0,
      lastDrill: 0,
      erasuresReapplied: 0,
    });
  }
  let runs: { database: string; kind: string; outcome: string; runs: number }[] = [];
  const each = (set: (database: string, value: ReturnType<typeof stateOf>) => void) => {
    for (const database of databases) set(database, stateOf(database));
  };
  const stateOf = (database: string) => {
    const value = state.get(database);
    if (!value) throw new Error(`unknown database ${database}`);
    return value;
  };
  const labelNames = ['db'] as const;
  const gauge = (name: string, help: string, read: (value: ReturnType<typeof stateOf>) => number) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        each((database, value) => this.set({ db: database }, read(value)));
      },
    });
  gauge(
    'backup_last_success_timestamp_seconds',
    'When the newest backup of the database finished (Unix seconds); 0 when it has none.',
    (value) => value.lastSuccess,
  );
  gauge(
    'backup_rpo_seconds',
    'Age of the newest restorable backup (the newest one, unless the last drill failed on it); +Inf without one.',
    (value) =>
      value.restorableFinish > 0 ? Math.max(0, Date.now() / 1000 - value.restorableFinish) : Infinity,
  );
  gauge('backup_size_bytes', 'Size of the newest backup as stored (ciphertext).', (value) => value.size);
  gauge(
    'backup_restore_drill_success',
    'Whether the last restore drill of the database passed (1) or failed or never ran (0).',
    (value) => value.drillOk,
  );
  gauge(
    'backup_restore_drill_duration_seconds',
    "The last drill's RTO: wall time to a restored and verified database.",
    (value) => value.drillSeconds,
  );
  gauge(
    'backup_last_drill_timestamp_seconds',
    'When the last restore drill of the database finished (Unix seconds); 0 when none has.',
    (value) => value.lastDrill,
  );
  gauge(
    'backup_restore_drill_erasures_reapplied',
    'Erasure ledger entries the last drill re-applied to the restored copy (every entry, whether or not the backup held the person).',
    (value) => value.erasuresReapplied,
  );
  new Counter({
    name: 'backup_runs_total',
    help: 'Backups and restore drills run, by database, kind (backup, drill) and outcome (success, failure), by any process.',
    labelNames: ['db', 'kind', 'outcome'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const database of databases) {
        for (const kind of KINDS) {
          for (const outcome of OUTCOMES) {
            const row = runs.find(
              (run) => run.database === database && run.kind === kind && run.outcome === outcome,
            );
            this.inc({ db: database, kind, outcome }, row?.runs ?? 0);
          }
        }
      }
    },
  });

  return {
    /** Re-reads the newest manifest and drill record of each database, and the run counts. */
    async refresh(deps: Pick<Deps, 'store' | 'log'> & { pool: pg.Pool }): Promise<void> {
      for (const database of databases) {
        try {
          const value = stateOf(database);
          const manifest = await newestManifest(deps, database);
          const drillKey = (await deps.store.list(deps.store.key(layout.drills(database)))).at(-1);
          const drill = drillKey ? await deps.store.getJson(drillKey, drillRecordSchema) : undefined;
          value.lastSuccess = manifest ? Date.parse(manifest.finishedAt) / 1000 : 0;
          value.size = manifest?.object.ciphertextBytes ?? 0;
          value.drillOk = drill?.ok ? 1 : 0;
          value.drillSeconds = drill?.rtoSeconds ?? 0;
          value.lastDrill = drill ? Date.parse(drill.finishedAt) / 1000 : 0;
          value.erasuresReapplied =
            drill?.checks.find((check) => check.name === 'erasure ledger')?.erasuresReapplied ?? 0;
          // A drill that failed on the newest backup says it is not restorable: the RPO then
          // runs from the backup before it.
          value.restorableFinish =
            manifest && drill && !drill.ok && drill.backupId === manifest.backupId
              ? await previousFinish(deps, database, manifest.backupId)
              : value.lastSuccess;
        } catch (error) {
          deps.log.warn({ err: describe(error), database }, 'could not refresh backup metrics');
        }
      }
      try {
        runs = await countRuns(deps.pool);
      } catch (error) {
        deps.log.warn({ err: describe(error) }, 'could not count backup runs');
      }
    },
  };
}

async function previousFinish(
  deps: Pick<Deps, 'store'>,
  database: string,
  backupId: string,
): Promise<number> {
  const keys = (await deps.store.list(deps.store.key(layout.manifests(database)))).filter((key) =>
    key.endsWith('.json'),
  );
  const index = keys.findIndex((key) => key.endsWith(`/${backupId}.json`));
  const previous = index > 0 ? keys[index - 1] : undefined;
  if (!previous) return 0;
  const manifest = await deps.store.getJson(previous, manifestSchema);
  return manifest ? Date.parse(manifest.finishedAt) / 1000 : 0;
}

export type BackupMetrics = ReturnType<typeof createBackupMetrics>;
