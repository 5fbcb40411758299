import { createClient, createMetrics, PRINCIPAL_HEADER, unary } from '@tracking/kit';
import {
  BackupServiceClient,
  BackupServiceService,
  type BackupServiceServer,
  type ListBackupsRequest,
  type ListBackupsResponse,
  type ListDrillsRequest,
  type ListDrillsResponse,
} from '@tracking/proto/tracking/backup/v1/backup';
import { captureLogger } from '@tracking/testing';

import { viaIngress } from './edge-support';
import { standIn, startStandInGateway, type StandInGateway } from './offline-services';

// GET /admin/backups in process (#23), against a stand-in auth that answers Authorize and a
// stand-in backup service that answers ListBackups and ListDrills: the permission asked, the
// principal forwarded, what the Operations screen receives (each drill judged against the
// targets), an honest empty answer, and refusals that never reach backup.
describe('backup runs and restore drills for an admin through the gateway', () => {
  const { log } = captureLogger('gateway');
  const metrics = createMetrics();
  const principals: string[] = [];
  const forwarded: (ListBackupsRequest | ListDrillsRequest)[] = [];
  let nothingYet = false;
  const listBackups = unary<ListBackupsRequest, ListBackupsResponse>(
    't/ListBackups',
    { log, metrics },
    (request, call) => {
      forwarded.push(request);
      principals.push(String(call.metadata.get(PRINCIPAL_HEADER)[0] ?? ''));
      if (nothingYet) return Promise.resolve({ backups: [] });
      return Promise.resolve({
        backups: [
          {
            backupId: '20260607T021700123Z-a1b2c3',
            database: 'auth',
            startedAt: new Date('2026-06-07T02:17:00.123Z'),
            finishedAt: new Date('2026-06-07T02:17:09.000Z'),
            plaintextBytes: '9000',
            ciphertextBytes: '9216',
            ciphertextSha256: 'a'.repeat(64),
            keyId: 'kek-2026',
            schemaVersion: '0007_sessions',
            objectKey: 'backups/auth/20260607T021700123Z-a1b2c3.tbk',
          },
        ],
      });
    },
  );
  const listDrills = unary<ListDrillsRequest, ListDrillsResponse>(
    't/ListDrills',
    { log, metrics },
    (request, call) => {
      forwarded.push(request);
      principals.push(String(call.metadata.get(PRINCIPAL_HEADER)[0] ?? ''));
      const targets = { rtoTargetSeconds: 3600, rpoTargetSeconds: 172_800 };
      if (nothingYet) return Promise.resolve({ drills: [], ...targets });
      return Promise.resolve({
        ...targets,
        drills: [
          {
            drillId: '20260607T044300000Z-dddddd',
            database: 'auth',
            backupId: '20260607T021700123Z-a1b2c3',
            startedAt: new Date('2026-06-07T04:43:00.000Z'),
            finishedAt: new Date('2026-06-07T04:44:12.500Z'),
            ok: true,
            error: '',
            rtoSeconds: 72.5,
            rpoSeconds: 8820,
          },
          {
            drillId: '20260607T044200000Z-eeeeee',
            database: 'tracking',
            backupId: '20260601T021700000Z-f0f0f0',
            startedAt: new Date('2026-06-07T04:42:00.000Z'),
            finishedAt: new Date('2026-06-07T06:12:00.000Z'),
            ok: true,
            error: '',
            rtoSeconds: 5400,
            rpoSeconds: 527_000,
          },
          {
            drillId: '20260607T044100000Z-ffffff',
            database: 'billing',
            backupId: '',
            startedAt: new Date('2026-06-07T04:41:00.000Z'),
            finishedAt: new Date('2026-06-07T04:41:00.200Z'),
            ok: false,
            error: 'no backup of billing to restore',
            rtoSeconds: 0.2,
            rpoSeconds: undefined,
          },
        ],
      });
    },
  );

  let gateway: StandInGateway | undefined;
  const asked = () => gateway?.asked ?? [];

  beforeAll(async () => {
    gateway = await startStandInGateway({
      log,
      metrics,
      services: [
        [BackupServiceService, standIn<BackupServiceServer>({ listBackups, listDrills }, { log, metrics })],
      ],
      clients: (address) => ({ backup: createClient(BackupServiceClient, address, { tls: {} }) }),
    });
  });

  afterAll(async () => {
    await gateway?.stop();
  });

  beforeEach(() => {
    asked().length = 0;
    principals.length = 0;
    forwarded.length = 0;
    nothingYet = false;
  });

  const read = async (token: string) => {
    const response = await fetch(`${gateway?.url ?? ''}/api/v1/admin/backups`, {
      headers: { authorization: `Bearer ${token}`, ...viaIngress() },
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  test('an admin gets the runs and the drills, each drill judged against the targets', async () => {
    expect(await read('admin-token')).toEqual({
      status: 200,
      body: {
        targets: { rtoSeconds: 3600, rpoSeconds: 172_800 },
        backups: [
          {
            backupId: '20260607T021700123Z-a1b2c3',
            database: 'auth',
            startedAt: '2026-06-07T02:17:00.123Z',
            finishedAt: '2026-06-07T02:17:09.000Z',
            bytes: 9216,
            schemaVersion: '0007_sessions',
          },
        ],
        drills: [
          {
            drillId: '20260607T044300000Z-dddddd',
            database: 'auth',
            backupId: '20260607T021700123Z-a1b2c3',
            startedAt: '2026-06-07T04:43:00.000Z',
            finishedAt: '2026-06-07T04:44:12.500Z',
            ok: true,
            error: null,
            rtoSeconds: 72.5,
            rpoSeconds: 8820,
            rtoMet: true,
            rpoMet: true,
          },
          {
            drillId: '20260607T044200000Z-eeeeee',
            database: 'tracking',
            backupId: '20260601T021700000Z-f0f0f0',
            startedAt: '2026-06-07T04:42:00.000Z',
            finishedAt: '2026-06-07T06:12:00.000Z',
            ok: true,
            error: null,
            rtoSeconds: 5400,
            rpoSeconds: 527_000,
            rtoMet: false,
            rpoMet: false,
          },
          {
            drillId: '20260607T044100000Z-ffffff',
            database: 'billing',
            backupId: null,
            startedAt: '2026-06-07T04:41:00.000Z',
            finishedAt: '2026-06-07T04:41:00.200Z',
            ok: false,
            error: 'no backup of billing to restore',
            rtoSeconds: 0.2,
            rpoSeconds: null,
            rtoMet: true,
            rpoMet: false,
          },
        ],
      },
    });
    // Its own admin-only permission, every database, and a principal signed for backup.
    expect(asked()).toEqual(['backup.read']);
    expect(forwarded).toEqual(expect.arrayContaining([{ database: '' }, { database: '', limit: 50 }]));
    expect(principals).toHaveLength(2);
    expect(principals[0]?.split('.')).toHaveLength(3);
    // Where the objects are stays with the backup service.
    expect(JSON.stringify(await read('admin-token'))).not.toContain('backups/auth/');
  });

  test('nothing run yet is two empty lists, with the targets', async () => {
    nothingYet = true;
    expect(await read('admin-token')).toEqual({
      status: 200,
      body: { targets: { rtoSeconds: 3600, rpoSeconds: 172_800 }, backups: [], drills: [] },
    });
  });

  test('a trainer gets 403 and an admin without MFA 403 mfa_required; backup is never asked', async () => {
    expect(await read('trainer-token')).toMatchObject({ status: 403, body: { code: 'permission_denied' } });
    expect(await read('no-mfa-token')).toMatchObject({
      status: 403,
      body: { code: 'mfa_required', errors: { next: 'enrol_totp' } },
    });
    expect(forwarded).toEqual([]);
  });
});
