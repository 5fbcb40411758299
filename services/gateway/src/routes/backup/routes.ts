import { callUnary } from '@tracking/kit';

import { defineRoute, json } from '../../http/route';
import { principalFor } from '../principal';
import { backupOut, drillOut } from './mappers';
import { backupOverviewSchema } from './schemas';

/** As many runs and drills as the Operations screen shows. */
const SHOWN = 50;

/** The admin console's Operations screen: backup runs and restore drills (#23). Read only. */
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
