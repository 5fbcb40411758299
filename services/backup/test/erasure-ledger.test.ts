import type { z } from 'zod';

import { readLedger } from '../src/erasure-ledger';
import type { Store } from '../src/store';

// The erasure ledger as a restore reads it (docs/backup.md, "Erasure and backups"): every entry
// under erasure-ledger/, oldest erasure first; anything it cannot trust fails the read, so a
// restore never goes ahead with part of the ledger.
const A = '1b4e28ba-2fa1-41d2-883f-0016d3cca427';
const B = '6ec0bd7f-11c0-43da-975e-2a8ad9ebae0b';
const REQUEST = '9f2b7c1e-3d4a-4b5c-8d6e-7f8a9b0c1d2e';

function storeOf(
  objects: Record<string, unknown>,
  prefix = 'ledger/',
): Pick<Store, 'list' | 'getJson' | 'key'> {
  return {
    key: (relative) => `${prefix}${relative}`,
    list: (under) =>
      Promise.resolve(
        Object.keys(objects)
          .filter((key) => key.startsWith(under))
          .sort(),
      ),
    getJson: <S extends z.ZodType>(key: string, schema: S) => {
      if (!(key in objects)) return Promise.resolve(undefined);
      const parsed = schema.safeParse(objects[key]);
      return parsed.success ? Promise.resolve(parsed.data) : Promise.reject(new Error(`${key} is not valid`));
    },
  };
}

const entry = (subjectId: string, erasingSince: string) => ({ subjectId, requestId: REQUEST, erasingSince });

describe('reading the erasure ledger', () => {
  test('every entry, oldest erasure first', async () => {
    const store = storeOf({
      [`ledger/erasure-ledger/${A}.json`]: entry(A, '2026-06-02T00:00:00.000Z'),
      [`ledger/erasure-ledger/${B}.json`]: entry(B, '2026-06-01T00:00:00.000Z'),
      'ledger/other/ignored.json': { not: 'the ledger' },
    });
    expect((await readLedger(store)).map((found) => found.subjectId)).toEqual([B, A]);
  });

  test('an empty ledger is an empty list, not a failure', async () => {
    expect(await readLedger(storeOf({}))).toEqual([]);
  });

  test('an entry that does not parse, a stray object and an entry filed under another person fail the read', async () => {
    await expect(
      readLedger(storeOf({ [`ledger/erasure-ledger/${A}.json`]: { subjectId: A } })),
    ).rejects.toThrow(`erasure ledger entry ledger/erasure-ledger/${A}.json cannot be read`);
    await expect(readLedger(storeOf({ 'ledger/erasure-ledger/notes.txt': 'x' }))).rejects.toThrow(
      'the erasure ledger holds ledger/erasure-ledger/notes.txt, which is not an entry',
    );
    await expect(
      readLedger(storeOf({ [`ledger/erasure-ledger/${A}.json`]: entry(B, '2026-06-01T00:00:00.000Z') })),
    ).rejects.toThrow('names another subject');
  });

  test('a store that cannot be listed fails the read', async () => {
    const store = {
      ...storeOf({}),
      list: () => Promise.reject(new Error('S3 list of ledger/ failed: AccessDenied')),
    };
    await expect(readLedger(store)).rejects.toThrow(
      'the erasure ledger cannot be listed: S3 list of ledger/ failed',
    );
  });
});
