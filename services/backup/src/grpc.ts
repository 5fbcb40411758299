import {
  PermissionDeniedError,
  unary,
  ValidationError,
  type Logger,
  type Metrics,
  type PrincipalVerifier,
} from '@tracking/kit';
import type {
  Backup,
  Drill,
  BackupServiceServer,
  ListBackupsRequest,
  ListBackupsResponse,
  ListDrillsRequest,
  ListDrillsResponse,
  RunBackupRequest,
  RunBackupResponse,
  RunDrillRequest,
  RunDrillResponse,
} from '@tracking/proto/tracking/backup/v1/backup';

import { configuredDatabases, listManifests, runBackups } from './backups';
import type { Deps } from './deps';
import { listDrills, runDrills } from './drill';
import { DATABASE_NAME, type DrillRecord, type Manifest } from './manifest';

export function toBackup(manifest: Manifest): Backup {
  return {
    backupId: manifest.backupId,
    database: manifest.database,
    startedAt: new Date(manifest.startedAt),
    finishedAt: new Date(manifest.finishedAt),
    plaintextBytes: String(manifest.plaintextBytes),
    ciphertextBytes: String(manifest.object.ciphertextBytes),
    ciphertextSha256: manifest.object.ciphertextSha256,
    keyId: manifest.encryption.keyId,
    schemaVersion: manifest.schemaVersion.service ?? '',
    objectKey: manifest.object.key,
  };
}

export function toDrill(record: DrillRecord): Drill {
  return {
    drillId: record.drillId,
    database: record.database,
    backupId: record.backupId ?? '',
    startedAt: new Date(record.startedAt),
    finishedAt: new Date(record.finishedAt),
    ok: record.ok,
    error: record.error ?? '',
    rtoSeconds: record.rtoSeconds,
    rpoSeconds: record.rpoSeconds ?? undefined,
  };
}

function databaseNames(names: readonly string[]): string[] {
  for (const name of names) {
    if (!DATABASE_NAME.test(name)) {
      throw new ValidationError('databases must be configured database names', { databases: 'invalid name' });
    }
  }
  return [...names];
}

/**
 * Who may run, list and drill backups over gRPC: an admin, as the gateway's signed principal
 * (audience `backup`) says. A NetworkPolicy alone protected it before (#20); any pod that got
 * through could start runs or read where the backups are.
 */
async function requireOperator(
  principals: PrincipalVerifier,
  metadata: Parameters<PrincipalVerifier['verify']>[0],
): Promise<void> {
  const caller = await principals.verify(metadata);
  if (caller.role !== 'admin') throw new PermissionDeniedError('backups and drills are for admins');
}

/**
 * The on-demand API: the same runs as the CLI. Per-database failures are results, not call
 * errors; afterwards the metrics are re-read so /metrics shows the run at once.
 */
export function backupService(
  deps: Deps & {
    metrics: Metrics;
    log: Logger;
    principals: PrincipalVerifier;
    afterRun: () => Promise<void>;
  },
): BackupServiceServer {
  return {
    runBackup: unary<RunBackupRequest, RunBackupResponse>('RunBackup', deps, async (request, call) => {
      await requireOperator(deps.principals, call.metadata);
      const outcomes = await runBackups(deps, databaseNames(request.databases));
      await deps.afterRun();
      return {
        results: outcomes.map((outcome) =>
          outcome.ok
            ? { database: outcome.database, ok: true, backup: toBackup(outcome.manifest), error: '' }
            : { database: outcome.database, ok: false, backup: undefined, error: outcome.error },
        ),
      };
    }),
    listBackups: unary<ListBackupsRequest, ListBackupsResponse>(
      'ListBackups',
      deps,
      async (request, call) => {
        await requireOperator(deps.principals, call.metadata);
        const databases = configuredDatabases(
          deps.sources,
          request.database ? databaseNames([request.database]) : [],
        );
        const manifests = (
          await Promise.all(databases.map((database) => listManifests(deps, database)))
        ).flat();
        manifests.sort((a, b) => b.finishedAt.localeCompare(a.finishedAt));
        return { backups: manifests.map(toBackup) };
      },
    ),
    listDrills: unary<ListDrillsRequest, ListDrillsResponse>('ListDrills', deps, async (request, call) => {
      await requireOperator(deps.principals, call.metadata);
      if (request.limit < 0 || request.limit > 500) {
        throw new ValidationError('limit must be 0 to 500', { limit: 'out of range' });
      }
      const databases = configuredDatabases(
        deps.sources,
        request.database ? databaseNames([request.database]) : [],
      );
      const drills = await listDrills(deps, databases, request.limit || 50);
      return {
        drills: drills.map(toDrill),
        rtoTargetSeconds: deps.config.BACKUP_RTO_TARGET_SECONDS,
        rpoTargetSeconds: deps.config.BACKUP_RPO_TARGET_SECONDS,
      };
    }),
    runDrill: unary<RunDrillRequest, RunDrillResponse>('RunDrill', deps, async (request, call) => {
      await requireOperator(deps.principals, call.metadata);
      const outcomes = await runDrills(deps, databaseNames(request.databases));
      await deps.afterRun();
      return {
        results: outcomes.map((outcome) => ({
          database: outcome.database,
          ok: outcome.ok,
          drillId: outcome.drillId,
          backupId: outcome.backupId ?? '',
          rtoSeconds: outcome.rtoSeconds,
          rpoSeconds: outcome.rpoSeconds ?? 0,
          error: outcome.error ?? '',
        })),
      };
    }),
  };
}
