import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { readKeyring } from '../src/keys';

describe('key-encryption keys from a mounted secret', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kek-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("reads one key per file, named by its id, skipping Kubernetes' own entries", async () => {
    // A Secret volume: the files are links into a timestamped folder, beside ..data.
    const data = path.join(dir, '..2026_06_30_02_00_00.000000001');
    await mkdir(data);
    for (const id of ['kek-2025', 'kek-2026']) {
      await writeFile(path.join(data, id), `${randomBytes(32).toString('base64')}\n`);
      await symlink(path.join(data, id), path.join(dir, id));
    }
    await symlink(data, path.join(dir, '..data'));
    const keyring = readKeyring(dir, 'kek-2026');
    expect(keyring.keyIds).toEqual(['kek-2025', 'kek-2026']);
    expect(keyring.activeKeyId).toBe('kek-2026');
  });

  test('refuses a key that is not 32 bytes, naming the file and never its content', async () => {
    const secret = randomBytes(16).toString('base64');
    await writeFile(path.join(dir, 'kek-1'), secret);
    expect(() => readKeyring(dir, 'kek-1')).toThrow(
      'BACKUP_KEK_DIR: key kek-1 is not the base64 of 32 bytes',
    );
    try {
      readKeyring(dir, 'kek-1');
    } catch (error) {
      expect(String(error)).not.toContain(secret);
    }
  });

  test('refuses an active key id that has no file', async () => {
    await writeFile(path.join(dir, 'kek-1'), randomBytes(32).toString('base64'));
    expect(() => readKeyring(dir, 'kek-2')).toThrow(
      'BACKUP_KEK_ACTIVE_ID kek-2 has no key file in BACKUP_KEK_DIR',
    );
  });
});
