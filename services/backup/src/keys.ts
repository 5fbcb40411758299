import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { Keyring } from '@tracking/kit';

const KEY_ID = /^[a-z0-9][a-z0-9-]{0,31}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * The key-encryption keys from a mounted secret: one file per key, named by its key id, holding
 * the base64 of 32 bytes. Kubernetes' own entries in a secret volume (`..data` and the
 * timestamped folder) start with a dot and are skipped. Old keys stay in the folder after a
 * rotation, for as long as backups wrapped with them are kept: they still decrypt, and only
 * the active one wraps. Messages name files, never their contents.
 */
export function readKeyring(dir: string, activeKeyId: string): Keyring {
  const keys = new Map<string, Uint8Array>();
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => !name.startsWith('.'));
  } catch {
    throw new Error(`BACKUP_KEK_DIR ${dir} cannot be read`);
  }
  for (const name of names.sort()) {
    if (!KEY_ID.test(name))
      throw new Error(`BACKUP_KEK_DIR: ${path.join(dir, '?')} has a file whose name is not a key id`);
    const text = readFileSync(path.join(dir, name), 'utf8').trim();
    const bytes = BASE64.test(text) ? Buffer.from(text, 'base64') : Buffer.alloc(0);
    if (bytes.length !== 32) throw new Error(`BACKUP_KEK_DIR: key ${name} is not the base64 of 32 bytes`);
    keys.set(name, bytes);
  }
  if (!keys.has(activeKeyId)) {
    throw new Error(`BACKUP_KEK_ACTIVE_ID ${activeKeyId} has no key file in BACKUP_KEK_DIR`);
  }
  return new Keyring(keys, activeKeyId);
}
