import type { Backup, Drill } from '@tracking/proto/tracking/backup/v1/backup';
import type { z } from 'zod';

import type { backupRunSchema, restoreDrillSchema } from './schemas';

const iso = (date: Date | undefined) => (date ?? new Date(0)).toISOString();

/** A backup as the console shows it: no object key, digest or key id (where it is stays with backup). */
export function backupOut(backup: Backup): z.infer<typeof backupRunSchema> {
  return {
    backupId: backup.backupId,
    database: backup.database,
    startedAt: iso(backup.startedAt),
    finishedAt: iso(backup.finishedAt),
    bytes: Number(backup.ciphertextBytes),
    schemaVersion: backup.schemaVersion || null,
  };
}

/** A drill judged against the targets; one that restored no backup never meets the RPO. */
export function drillOut(
  drill: Drill,
  targets: { rtoSeconds: number; rpoSeconds: number },
): z.infer<typeof restoreDrillSchema> {
  const rpoSeconds = drill.rpoSeconds ?? null;
  return {
    drillId: drill.drillId,
    database: drill.database,
    backupId: drill.backupId || null,
    startedAt: iso(drill.startedAt),
    finishedAt: iso(drill.finishedAt),
    ok: drill.ok,
    error: drill.error || null,
    rtoSeconds: drill.rtoSeconds,
    rpoSeconds,
    rtoMet: drill.rtoSeconds <= targets.rtoSeconds,
    rpoMet: rpoSeconds !== null && rpoSeconds <= targets.rpoSeconds,
  };
}
