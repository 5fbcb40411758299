import { callUnary } from '@tracking/kit';
import type { Backup, Drill } from '@tracking/proto/tracking/backup/v1/backup';
import type { z } from 'zod';

import { defineRoute, json } from '../../http/route';
import { principalFor } from '../principal';
import type { backupRunSchema, restoreDrillSchema } from './schemas';
import { backupOverviewSchema } from './schemas';

/** As many runs and drills as the Operations screen shows. */
const SHOWN = 50;

const iso = (date: Date | undefined) => (date ?? new Date(0)).toISOString();

function backupOut(backup: Backup): z.infer<typeof backupRunSchema> {
  return {
    backupId: backup.backupId,
    database: backup.database,
    startedAt: iso(backup.startedAt),
    finishedAt: iso(backup.finishedAt),
    bytes: Number(backup.ciphertextBytes),
    schemaVersion: backup.schemaVersion || null,
  };
}

function drillOut(drill: Drill, targets: { rtoSeconds: number; rpoSeconds: number }) {
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
  } satisfies z.infer<typeof restoreDrillSchema>;
}

/** The admin console's Operations screen: backup runs and restore drills (#23). */
export const backupRoutes = [
  defineRoute({
    method: 'get',
    path: '/api/v1/admin/backups',
    operationId: 'getBackupOverview',
    summary: 'Backup runs and restore drills, with their RTO and RPO against the targets',
    description:
      'The newest backups and restore drills of every database, as the backup service finds them in ' +
      'its bucket, and the recovery objectives each drill is judged against. Empty lists when nothing ' +
      'has run yet.',
    tags: ['admin'],
    access: 'session',
    responses: { 200: json(backupOverviewSchema, 'Backups and drills, newest first.') },
  }).handle(async ({ session, deps }) => {
    const metadata = await principalFor(deps, session, 'backup.read', 'backup');
    const [backups, drills] = await Promise.all([
      callUnary(deps.backup.listBackups.bind(deps.backup), { database: '' }, metadata),
      callUnary(deps.backup.listDrills.bind(deps.backup), { database: '', limit: SHOWN }, metadata),
    ]);
    const targets = { rtoSeconds: drills.rtoTargetSeconds, rpoSeconds: drills.rpoTargetSeconds };
    return {
      status: 200,
      body: {
        targets,
        backups: backups.backups.slice(0, SHOWN).map(backupOut),
        drills: drills.drills.map((drill) => drillOut(drill, targets)),
      },
    };
  }),
];
