import { createHash, randomBytes } from 'node:crypto';

/**
 * Bearer secrets (session tokens, email links): 256 random bits, base64url. Only their SHA-256
 * digest is stored: with that much entropy a digest cannot be reversed by guessing, and a
 * lookup by digest needs no per-row salt.
 */
export function newSecretToken(): { token: string; digest: Uint8Array<ArrayBuffer> } {
  const token = randomBytes(32).toString('base64url');
  return { token, digest: tokenDigest(token) };
}

export function tokenDigest(token: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(createHash('sha256').update(token, 'utf8').digest());
}

/** A syntactically possible token: 43 base64url characters. Anything else is refused before a lookup. */
export function isTokenShaped(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9_-]{43}$/.test(value);
}

/** A stable pseudonym for an email address in throttle keys and events, never the address itself. */
export function emailDigest(email: string): string {
  return createHash('sha256').update(`email:${email}`, 'utf8').digest('hex').slice(0, 40);
}
