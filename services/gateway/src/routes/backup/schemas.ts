import { z } from 'zod';

const seconds = z.number().min(0);

export const backupRunSchema = z
  .object({
    backupId: z.string(),
    database: z.string(),
    startedAt: z.iso.datetime(),
    finishedAt: z.iso.datetime(),
    bytes: z.int().min(0).meta({ description: 'The encrypted object as stored.' }),
    schemaVersion: z.string().nullable().meta({ description: "The service's last applied migration." }),
  })
  .meta({ id: 'BackupRun' });

export const restoreDrillSchema = z
  .object({
    drillId: z.string(),
    database: z.string(),
    backupId: z.string().nullable().meta({ description: 'The backup restored; null when there was none.' }),
    startedAt: z.iso.datetime(),
    finishedAt: z.iso.datetime(),
    ok: z.boolean().meta({ description: 'Restored and every check passed.' }),
    error: z.string().nullable().meta({ description: 'Why it failed, in one line; null when ok.' }),
    rtoSeconds: seconds.meta({ description: 'Wall time to a restored and verified database.' }),
    rpoSeconds: seconds.nullable().meta({ description: "The restored backup's age; null without one." }),
    rtoMet: z.boolean().meta({ description: 'rtoSeconds is within the RTO target.' }),
    rpoMet: z.boolean().meta({ description: 'rpoSeconds is within the RPO target; false without a backup.' }),
  })
  .meta({ id: 'RestoreDrill' });

export const backupOverviewSchema = z
  .object({
    targets: z.object({ rtoSeconds: seconds, rpoSeconds: seconds }),
    backups: z.array(backupRunSchema).meta({ description: 'The newest 50 backups, newest first.' }),
    drills: z.array(restoreDrillSchema).meta({ description: 'The newest 50 restore drills, newest first.' }),
  })
  .meta({ id: 'BackupOverview' });
