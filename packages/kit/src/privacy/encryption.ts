import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

import { Decrypter, Encrypter, generateX25519Identity, identityToRecipient } from 'age-encryption';

/**
 * Export encryption: age (age-encryption.org/v1, Filippo Valsorda's typage) to the privacy
 * service's X25519 recipient. A participant holds only the public recipient, so it can write an
 * export part but not read one back, nor anyone else's; only the privacy service, which mounts
 * the identity, can open parts and assembled exports. An age file is a header (the file key
 * wrapped to each recipient) and the payload in 64 KiB ChaCha20-Poly1305 chunks, so a
 * truncated, reordered or altered object fails to decrypt rather than yielding wrong bytes, and
 * any age tool (`age -d -i identity`) opens one for an operator.
 */

/** Encrypts `plaintext` to every recipient (any one identity opens it). */
export async function encryptForRecipients(
  plaintext: Uint8Array | string,
  recipients: readonly string[],
): Promise<Uint8Array> {
  return encrypter(recipients).encrypt(plaintext);
}

/** Opens an age file with whichever of `identities` it was encrypted to; throws when none fits or it was altered. */
export async function decryptWithIdentities(
  ciphertext: Uint8Array,
  identities: readonly string[],
): Promise<Uint8Array> {
  return decrypter(identities).decrypt(ciphertext);
}

/** Encrypts a stream (an assembled ZIP) without holding it in memory. */
export async function encryptStream(plaintext: Readable, recipients: readonly string[]): Promise<Readable> {
  const encrypted = await encrypter(recipients).encrypt(toWeb(plaintext));
  return Readable.fromWeb(encrypted as WebReadableStream<Uint8Array>);
}

/**
 * Decrypts a stream; the header is checked before this resolves, each chunk as it passes, and
 * a stream that ends early or was altered errors instead of ending cleanly.
 */
export async function decryptStream(ciphertext: Readable, identities: readonly string[]): Promise<Readable> {
  const decrypted = await decrypter(identities).decrypt(toWeb(ciphertext));
  return Readable.fromWeb(decrypted as WebReadableStream<Uint8Array>);
}

/** A new X25519 identity and its recipient (for the local stack's scripts and tests). */
export async function generateExportKeyPair(): Promise<{ identity: string; recipient: string }> {
  const identity = await generateX25519Identity();
  return { identity, recipient: await identityToRecipient(identity) };
}

/** The recipient of an identity (e.g. to check a mounted identity matches the configured recipient). */
export function recipientOf(identity: string): Promise<string> {
  return identityToRecipient(identity);
}

const IDENTITY_LINE = /^AGE-SECRET-KEY-(PQ-)?1[02-9AC-HJ-NP-Z]+$/;

/**
 * The identities in a mounted secret directory: every regular file's `AGE-SECRET-KEY-1…` lines
 * (age's identity-file format; `#` comments allowed). Several files, or several lines, let a
 * rotation keep old exports readable while new ones go to the new recipient. The error names
 * the file, never its content.
 */
export function readIdentityDirectory(dir: string): string[] {
  const identities: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    // Kubernetes mounts a secret's keys as symlinks (..data/...); hidden entries are its plumbing.
    if (entry.name.startsWith('.') || entry.isDirectory()) continue;
    const file = path.join(dir, entry.name);
    const lines = readFileSync(file, 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    for (const line of lines) {
      if (!IDENTITY_LINE.test(line)) throw new Error(`${file} holds a line that is not an age identity`);
      identities.push(line);
    }
  }
  if (identities.length === 0) throw new Error(`${dir} holds no age identity`);
  return identities;
}

function encrypter(recipients: readonly string[]): Encrypter {
  if (recipients.length === 0) throw new Error('no age recipient to encrypt to');
  const encrypter = new Encrypter();
  for (const recipient of recipients) encrypter.addRecipient(recipient);
  return encrypter;
}

function decrypter(identities: readonly string[]): Decrypter {
  if (identities.length === 0) throw new Error('no age identity to decrypt with');
  const decrypter = new Decrypter();
  for (const identity of identities) decrypter.addIdentity(identity);
  return decrypter;
}

function toWeb(stream: Readable): ReadableStream<Uint8Array> {
  return Readable.toWeb(stream);
}
