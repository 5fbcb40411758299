import { randomBytes } from 'node:crypto';

import { decrypt, DecryptionError, encrypt, Keyring } from '@tracking/kit';

import type { Prisma } from './generated/prisma/client';

type Tx = Prisma.TransactionClient;

/**
 * Crypto-shredding of the personal fields in audit entries (source IP, user agent).
 *
 * Each data subject has a random 32-byte key in `subject_key`, wrapped by the service's
 * key-encryption key (ENCRYPTION_KEYS). A personal field is sealed with the kit's envelope
 * format under a one-key keyring made of the subject's key, with the entry's event id and the
 * field name as associated data. Deleting the subject's key makes every field sealed under it
 * unreadable, while the entries, and the chain that hashes their ciphertext, stay intact.
 */
export type PersonalField = 'sourceIp' | 'userAgent';

/** Personal data whose person cannot be told from the entry is kept under this subject. */
export const UNATTRIBUTED_SUBJECT = 'unattributed';

/** Whose personal data an entry holds: the acting user, else the user acted upon. */
export function dataSubjectOf(entry: {
  actorUserId: string | null;
  subjectType: string;
  subjectId: string;
}): string {
  return entry.actorUserId ?? (entry.subjectType === 'user' ? entry.subjectId : UNATTRIBUTED_SUBJECT);
}

const wrapContext = (subjectId: string) => `audit.subject_key:${subjectId}`;
const fieldContext = (eventId: string, field: PersonalField) => `audit.entry:${eventId}:${field}`;

function keyringOf(subjectKey: Buffer): Keyring {
  return new Keyring(new Map([['subject', subjectKey]]), 'subject');
}

/**
 * The keyrings that seal these subjects' personal fields, creating keys on first use (safe
 * against a race), or null for a subject who has been erased: their personal data is then not
 * stored. One read for all of them, and one insert for the new ones.
 */
export async function sealingKeyrings(
  tx: Pick<Tx, '$queryRaw' | '$executeRaw'>,
  kek: Keyring,
  subjectIds: string[],
): Promise<Map<string, Keyring | null>> {
  const wanted = [...new Set(subjectIds)];
  const read = async (ids: string[]) =>
    ids.length === 0
      ? []
      : tx.$queryRaw<
          { subject_id: string; wrapped_key: string | null }[]
        >`SELECT subject_id, wrapped_key FROM subject_key WHERE subject_id = ANY(${ids}::text[])`;
  const found = new Map((await read(wanted)).map((row) => [row.subject_id, row.wrapped_key]));
  const missing = wanted.filter((id) => !found.has(id));
  if (missing.length > 0) {
    const wrapped = missing.map((id) => encrypt(kek, randomBytes(32), wrapContext(id)));
    await tx.$executeRaw`INSERT INTO subject_key (subject_id, wrapped_key)
      SELECT * FROM unnest(${missing}::text[], ${wrapped}::text[]) ON CONFLICT (subject_id) DO NOTHING`;
    // Read back rather than trust what we sent: a concurrent appender may have won the race.
    for (const row of await read(missing)) found.set(row.subject_id, row.wrapped_key);
  }
  const keyrings = new Map<string, Keyring | null>();
  for (const id of wanted) {
    if (!found.has(id)) throw new Error('subject key vanished while being created');
    const wrappedKey = found.get(id) ?? null;
    keyrings.set(id, wrappedKey === null ? null : keyringOf(decrypt(kek, wrappedKey, wrapContext(id))));
  }
  return keyrings;
}

/** The subject's keyring; 'erased' after erasure; undefined if they never had personal data here. */
export async function readSubjectKey(
  tx: Pick<Tx, '$queryRaw'>,
  kek: Keyring,
  subjectId: string,
): Promise<Keyring | 'erased' | undefined> {
  const rows = await tx.$queryRaw<
    { wrapped_key: string | null }[]
  >`SELECT wrapped_key FROM subject_key WHERE subject_id = ${subjectId}`;
  const row = rows[0];
  if (!row) return undefined;
  return row.wrapped_key === null
    ? 'erased'
    : keyringOf(decrypt(kek, row.wrapped_key, wrapContext(subjectId)));
}

/**
 * Destroys the subject's key (or records that there is none to have), leaving a tombstone.
 * Returns whether they had already been erased.
 */
export async function destroySubjectKey(
  tx: Pick<Tx, '$executeRaw' | '$queryRaw'>,
  subjectId: string,
): Promise<{ alreadyErased: boolean }> {
  const before = await tx.$queryRaw<
    { erased: boolean }[]
  >`SELECT erased_at IS NOT NULL AS erased FROM subject_key WHERE subject_id = ${subjectId} FOR UPDATE`;
  await tx.$executeRaw`INSERT INTO subject_key (subject_id, wrapped_key, erased_at) VALUES (${subjectId}, NULL, now())
    ON CONFLICT (subject_id) DO UPDATE SET wrapped_key = NULL, erased_at = COALESCE(subject_key.erased_at, now())`;
  return { alreadyErased: before[0]?.erased ?? false };
}

export function seal(
  keyring: Keyring,
  eventId: string,
  field: PersonalField,
  value: string | null,
): string | null {
  return value === null ? null : encrypt(keyring, value, fieldContext(eventId, field));
}

/** The plaintext, or null when there was none or the subject has been erased. */
export function open(
  keyring: Keyring | 'erased' | undefined,
  eventId: string,
  field: PersonalField,
  sealed: string | null,
): string | null {
  if (sealed === null || keyring === undefined || keyring === 'erased') return null;
  try {
    return decrypt(keyring, sealed, fieldContext(eventId, field)).toString('utf8');
  } catch (error) {
    // A field that does not open under its subject's key was tampered with; say so rather than guess.
    if (error instanceof DecryptionError) {
      throw new Error(`audit entry ${eventId}: ${field} does not decrypt (${error.reason})`, {
        cause: error,
      });
    }
    throw error;
  }
}
