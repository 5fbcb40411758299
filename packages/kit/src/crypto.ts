/*
 * Envelope encryption for secrets at rest (TOTP secrets, tokens), with key ids so keys can rotate.
 *
 * Token format, version 1 — one ASCII string, six fields joined by ".":
 *
 *   v1.<kid>.<wrapIv>.<wrappedDek>.<iv>.<ciphertext>
 *
 *   kid         id of the key-encryption key (KEK), matching ^[a-z0-9][a-z0-9-]{0,31}$
 *   wrapIv      12 random bytes
 *   wrappedDek  48 bytes: AES-256-GCM(KEK, wrapIv) of the 32-byte data key (DEK), then its 16-byte tag
 *   iv          12 random bytes
 *   ciphertext  n + 16 bytes: AES-256-GCM(DEK, iv) of the n-byte plaintext, then its 16-byte tag
 *
 * Binary fields are base64url without padding (RFC 4648 §5), in canonical form: decoding then
 * re-encoding gives back the same text, so every character of a token is significant.
 *
 * Additional authenticated data, as UTF-8 bytes, with <aad> the caller's context string
 * (e.g. "auth.totp_secret:<user id>"), which the caller must present again to decrypt:
 *
 *   wrapping the DEK     "v1:wrap:<kid>:<aad>"
 *   encrypting the data  "v1:data:<aad>"
 *
 * The kid is bound into the wrap rather than the data so that rewrap() can re-key a value by
 * replacing only the first four fields; the DEK is random per value and reachable only through a
 * wrap that authenticated kid and aad, so the data stays bound to both. Random 96-bit IVs are safe
 * here: each DEK encrypts exactly one value, and a KEK wraps far fewer than 2^32 DEKs.
 */
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { z } from 'zod';

const VERSION = 'v1';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID_CHARS = '[a-z0-9][a-z0-9-]{0,31}';
const KEY_ID = new RegExp(`^${KEY_ID_CHARS}$`);
const B64URL = '[A-Za-z0-9_-]';
const TOKEN = new RegExp(
  `^${VERSION}\\.(${KEY_ID_CHARS})\\.(${B64URL}{16})\\.(${B64URL}{64})\\.(${B64URL}{16})\\.(${B64URL}{22,})$`,
);
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Why a token could not be decrypted; none of these carry key material or plaintext. */
export type DecryptionFailure = 'malformed' | 'unknown-key' | 'unauthentic';

export class DecryptionError extends Error {
  override readonly name = 'DecryptionError';

  constructor(
    readonly reason: DecryptionFailure,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The key-encryption keys and which one wraps new values. Opaque: the key bytes live outside the
 * object, so logging or serialising a config that holds a keyring cannot print them.
 */
export class Keyring {
  readonly keyIds: readonly string[];

  constructor(
    keys: ReadonlyMap<string, Uint8Array>,
    readonly activeKeyId: string,
  ) {
    const problems = keyringProblems(keys, activeKeyId);
    if (problems.length > 0) throw new Error(`invalid keyring: ${problems.join('; ')}`);
    const keyObjects = new Map<string, KeyObject>();
    for (const [id, bytes] of keys) keyObjects.set(id, createSecretKey(Buffer.from(bytes)));
    keksByKeyring.set(this, keyObjects);
    this.keyIds = [...keys.keys()];
  }

  toJSON(): { activeKeyId: string; keyIds: readonly string[] } {
    return { activeKeyId: this.activeKeyId, keyIds: this.keyIds };
  }
}

const keksByKeyring = new WeakMap<Keyring, ReadonlyMap<string, KeyObject>>();

function kek(keyring: Keyring, kid: string): KeyObject | undefined {
  return keksByKeyring.get(keyring)?.get(kid);
}

// Here and in parseKeyList, messages name only ids that passed the id pattern, never raw input:
// a mangled entry may well be a key.
function keyringProblems(keys: ReadonlyMap<string, Uint8Array>, activeKeyId: string): string[] {
  const problems: string[] = [];
  if (keys.size === 0) problems.push('no keys given');
  for (const [id, bytes] of keys) {
    if (!KEY_ID.test(id)) problems.push(`a key id does not match ${KEY_ID.source}`);
    else if (bytes.length !== KEY_BYTES)
      problems.push(`key '${id}' is ${bytes.length} bytes; expected exactly ${KEY_BYTES}`);
  }
  if (!KEY_ID.test(activeKeyId)) problems.push(`the active key id does not match ${KEY_ID.source}`);
  else if (!keys.has(activeKeyId)) problems.push(`the active key id '${activeKeyId}' is not among the keys`);
  return problems;
}

const keyGenerationHint = 'generate one with `openssl rand -base64 32`';

function parseKeyList(value: string): { keys: Map<string, Buffer>; ids: Set<string>; problems: string[] } {
  const keys = new Map<string, Buffer>();
  const ids = new Set<string>();
  const problems: string[] = [];
  if (value.trim() === '') return { keys, ids, problems: ['ENCRYPTION_KEYS lists no keys'] };
  for (const [index, entry] of value.split(',').entries()) {
    const separator = entry.indexOf(':');
    const id = entry.slice(0, Math.max(separator, 0)).trim();
    const encoded = entry.slice(separator + 1).trim();
    const position = `ENCRYPTION_KEYS entry ${index + 1}`;
    const bytes = Buffer.from(encoded, 'base64');
    if (separator < 0) {
      problems.push(`${position} is not of the form <key id>:<base64 key>`);
      continue;
    }
    if (!KEY_ID.test(id)) {
      problems.push(`${position} has a key id that does not match ${KEY_ID.source}`);
      continue;
    }
    if (ids.has(id)) problems.push(`ENCRYPTION_KEYS lists key id '${id}' more than once`);
    else if (!BASE64.test(encoded) || bytes.toString('base64') !== encoded)
      problems.push(`ENCRYPTION_KEYS key '${id}' is not valid base64; ${keyGenerationHint}`);
    else if (bytes.length !== KEY_BYTES)
      problems.push(
        `ENCRYPTION_KEYS key '${id}' is ${bytes.length} bytes after base64 decoding; ` +
          `expected exactly ${KEY_BYTES} (${keyGenerationHint})`,
      );
    else keys.set(id, bytes);
    ids.add(id);
  }
  return { keys, ids, problems };
}

/**
 * Parses the encryption settings from the environment into `{ keyring }`:
 *
 *   ENCRYPTION_KEYS=kid1:BASE64,kid2:BASE64   32 random bytes each, base64; old keys stay to decrypt
 *   ENCRYPTION_ACTIVE_KEY_ID=kid1             the key that wraps new values
 *
 * Compose it into a service's config schema with `.and(keyringEnvSchema)`. Every problem is
 * reported at once, naming its variable.
 */
export const keyringEnvSchema = z
  .object({
    ENCRYPTION_KEYS: z.string({
      error: 'ENCRYPTION_KEYS is required: a comma-separated list of <key id>:<base64 32-byte key>',
    }),
    ENCRYPTION_ACTIVE_KEY_ID: z.string({
      error: 'ENCRYPTION_ACTIVE_KEY_ID is required: the id of the key that encrypts new values',
    }),
  })
  .transform((env, ctx) => {
    const { keys, ids, problems } = parseKeyList(env.ENCRYPTION_KEYS);
    const fail = (variable: string, message: string) =>
      ctx.issues.push({ code: 'custom', message, path: [variable], input: undefined });
    for (const message of problems) fail('ENCRYPTION_KEYS', message);
    const active = env.ENCRYPTION_ACTIVE_KEY_ID.trim();
    if (!KEY_ID.test(active))
      fail('ENCRYPTION_ACTIVE_KEY_ID', `ENCRYPTION_ACTIVE_KEY_ID does not match ${KEY_ID.source}`);
    else if (!ids.has(active))
      fail(
        'ENCRYPTION_ACTIVE_KEY_ID',
        `ENCRYPTION_ACTIVE_KEY_ID '${active}' is not among the ENCRYPTION_KEYS ids`,
      );
    if (ctx.issues.length > 0) return z.NEVER;
    return { keyring: new Keyring(keys, active) };
  });

interface ParsedToken {
  kid: string;
  wrapIv: Buffer;
  wrappedDek: Buffer;
  iv: Buffer;
  ciphertext: Buffer;
}

function requireAad(aad: string): void {
  // An empty context binds the value to nothing, which is always a caller bug.
  if (aad === '') throw new TypeError('aad must name the row and column the value belongs to');
}

function wrapAad(kid: string, aad: string): Buffer {
  return Buffer.from(`${VERSION}:wrap:${kid}:${aad}`, 'utf8');
}

function dataAad(aad: string): Buffer {
  return Buffer.from(`${VERSION}:data:${aad}`, 'utf8');
}

function seal(key: KeyObject | Buffer, iv: Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

function open(key: KeyObject | Buffer, iv: Buffer, sealed: Buffer, aad: Buffer): Buffer {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new DecryptionError('unauthentic', 'cannot decrypt value: it was altered or belongs elsewhere');
  }
}

function decodeField(text: string): Buffer {
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.toString('base64url') !== text) throw malformed();
  return bytes;
}

function malformed(): DecryptionError {
  return new DecryptionError('malformed', `cannot decrypt value: not a ${VERSION} encrypted token`);
}

function parseToken(token: string): ParsedToken {
  const match = typeof token === 'string' ? TOKEN.exec(token) : null;
  if (!match) throw malformed();
  const [, kid = '', wrapIv = '', wrappedDek = '', iv = '', ciphertext = ''] = match;
  return {
    kid,
    wrapIv: decodeField(wrapIv),
    wrappedDek: decodeField(wrappedDek),
    iv: decodeField(iv),
    ciphertext: decodeField(ciphertext),
  };
}

function formatToken(parts: ParsedToken): string {
  const fields = [parts.wrapIv, parts.wrappedDek, parts.iv, parts.ciphertext].map((b) =>
    b.toString('base64url'),
  );
  return [VERSION, parts.kid, ...fields].join('.');
}

function unwrapDek(keyring: Keyring, parsed: ParsedToken, aad: string): Buffer {
  const key = kek(keyring, parsed.kid);
  if (!key)
    throw new DecryptionError(
      'unknown-key',
      `cannot decrypt value: key id '${parsed.kid}' is not in the keyring`,
    );
  return open(key, parsed.wrapIv, parsed.wrappedDek, wrapAad(parsed.kid, aad));
}

function wrapDek(
  keyring: Keyring,
  dek: Buffer,
  aad: string,
): Pick<ParsedToken, 'kid' | 'wrapIv' | 'wrappedDek'> {
  const kid = keyring.activeKeyId;
  const key = kek(keyring, kid);
  if (!key) throw new Error('keyring has no active key'); // unreachable: the constructor checks it
  const wrapIv = randomBytes(IV_BYTES);
  return { kid, wrapIv, wrappedDek: seal(key, wrapIv, dek, wrapAad(kid, aad)) };
}

/** Encrypts `plaintext` under a fresh data key wrapped by the active key; `aad` names where it is stored. */
export function encrypt(keyring: Keyring, plaintext: Buffer | string, aad: string): string {
  requireAad(aad);
  const dek = randomBytes(KEY_BYTES);
  try {
    const iv = randomBytes(IV_BYTES);
    const data = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
    const ciphertext = seal(dek, iv, data, dataAad(aad));
    return formatToken({ ...wrapDek(keyring, dek, aad), iv, ciphertext });
  } finally {
    dek.fill(0);
  }
}

/** Decrypts a token made by `encrypt` or `rewrap` with the same `aad`; throws `DecryptionError` otherwise. */
export function decrypt(keyring: Keyring, token: string, aad: string): Buffer {
  requireAad(aad);
  const parsed = parseToken(token);
  const dek = unwrapDek(keyring, parsed, aad);
  try {
    return open(dek, parsed.iv, parsed.ciphertext, dataAad(aad));
  } finally {
    dek.fill(0);
  }
}

/** True when the token was wrapped by a key other than the active one. Reads only the header. */
export function needsRotation(keyring: Keyring, token: string): boolean {
  return parseToken(token).kid !== keyring.activeKeyId;
}

/**
 * Re-wraps the token's data key with the active key, leaving iv and ciphertext byte-for-byte as
 * they were. The wrap is authenticated against `aad` first, so a rotation job cannot move a value
 * to another row; tampering with the data part is still caught by the next `decrypt`.
 */
export function rewrap(keyring: Keyring, token: string, aad: string): string {
  requireAad(aad);
  const parsed = parseToken(token);
  const dek = unwrapDek(keyring, parsed, aad);
  try {
    return formatToken({ ...parsed, ...wrapDek(keyring, dek, aad) });
  } finally {
    dek.fill(0);
  }
}
