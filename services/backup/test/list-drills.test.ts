import type { z } from 'zod';

import { listDrills } from '../src/drill';
import { layout, type DrillRecord } from '../src/manifest';
import type { Store } from '../src/store';

// ListDrills reads the drill records in the bucket: newest first across databases, at most
// `limit`, and only the records it returns.
describe('listing restore drills', () => {
  const record = (database: string, drillId: string, ok = true): DrillRecord => ({
    drillVersion: 1,
    drillId,
    database,
    backupId: ok ? '20260601T021700123Z-a1b2c3' : null,
    startedAt: '2026-06-07T04:43:00.000Z',
    finishedAt: '2026-06-07T04:44:00.000Z',
    ok,
    error: ok ? null : 'no backup of billing to restore',
    rtoSeconds: 60,
    rpoSeconds: ok ? 3600 : null,
    checks: [],
  });
  const objects = new Map<string, DrillRecord>([
    [layout.drill('auth', '20260607T044300000Z-aaaaaa'), record('auth', '20260607T044300000Z-aaaaaa')],
    [layout.drill('auth', '20260531T044300000Z-bbbbbb'), record('auth', '20260531T044300000Z-bbbbbb')],
    [
      layout.drill('billing', '20260607T050000000Z-cccccc'),
      record('billing', '20260607T050000000Z-cccccc', false),
    ],
  ]);
  const read: string[] = [];
  const store = {
    key: (relative: string) => relative,
    list: (prefix: string) =>
      Promise.resolve([...objects.keys()].filter((key) => key.startsWith(prefix)).sort()),
    getJson: <S extends z.ZodType>(key: string, schema: S) => {
      read.push(key);
      return Promise.resolve(schema.parse(objects.get(key)));
    },
  } as unknown as Store;

  beforeEach(() => {
    read.length = 0;
  });

  test('newest first across databases, failed drills included', async () => {
    const drills = await listDrills({ store }, ['auth', 'billing'], 50);
    expect(drills.map((drill) => [drill.database, drill.drillId, drill.ok])).toEqual([
      ['billing', '20260607T050000000Z-cccccc', false],
      ['auth', '20260607T044300000Z-aaaaaa', true],
      ['auth', '20260531T044300000Z-bbbbbb', true],
    ]);
  });

  test('at most limit, reading only those records', async () => {
    const drills = await listDrills({ store }, ['auth', 'billing'], 1);
    expect(drills.map((drill) => drill.drillId)).toEqual(['20260607T050000000Z-cccccc']);
    expect(read).toEqual([layout.drill('billing', '20260607T050000000Z-cccccc')]);
  });

  test('a database with no drills lists none', async () => {
    expect(await listDrills({ store }, ['tracking'], 50)).toEqual([]);
  });
});
