import { randomBytes } from 'node:crypto';

import { hash, verify } from '@node-rs/argon2';
import { ValidationError } from '@tracking/kit';
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';

/**
 * argon2id at the OWASP Password Storage Cheat Sheet's first recommended setting
 * (m = 19 MiB, t = 2, p = 1): about 20-30 ms per hash on one core here, cheap enough for
 * logins, costly enough per guess offline. bench/auth.ts measures it; docs/auth.md argues it.
 */
// `algorithm: 2` is Algorithm.Argon2id; the package declares it as an ambient const enum, which
// isolated-module compilers (swc, tsx) cannot inline.
export const ARGON2_OPTIONS = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const PASSWORD_MIN_LENGTH = 12;
/** Bounds the cost of hashing and of the strength estimate, not the user's choice. */
export const PASSWORD_MAX_LENGTH = 256;
/** zxcvbn scores 0-4; 3 is "safely unguessable: moderate protection from offline slow-hash attack". */
const MIN_STRENGTH = 3;

// The bundled lists: the ~30k most common passwords from breach corpora, plus common words and
// keyboard patterns. Built once per process.
const zxcvbn = new ZxcvbnFactory({
  dictionary: common.dictionary,
  graphs: common.adjacencyGraphs,
});
const commonPasswords = new Set<string>(
  (common.dictionary as Record<string, string[] | undefined>)['passwords-common'] ?? [],
);

/**
 * NIST SP 800-63B §5.1.1.2: a minimum length, no composition rules, and a check against
 * breached, common and context-specific values. The error names the rule, never the value.
 */
export function checkPasswordPolicy(password: string, context: string[] = []): void {
  const fail = (message: string) => {
    throw new ValidationError('password does not meet the policy', { password: message });
  };
  if (Array.from(new Intl.Segmenter().segment(password)).length < PASSWORD_MIN_LENGTH)
    fail(`must be at least ${PASSWORD_MIN_LENGTH} characters`);
  if (password.length > PASSWORD_MAX_LENGTH) fail(`must be at most ${PASSWORD_MAX_LENGTH} characters`);
  if (commonPasswords.has(password.toLowerCase())) fail('is on a list of commonly used passwords');
  const userInputs = ['tracking', ...context.flatMap((value) => value.toLowerCase().split(/[@.\s]+/))].filter(
    (word) => word.length >= 3,
  );
  if (zxcvbn.check(password, userInputs).score < MIN_STRENGTH)
    fail('is too easy to guess (a common word, pattern or personal detail); a longer passphrase works');
}

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_OPTIONS);
}

// Verified against when an email is unknown, so that both paths cost one argon2id verification.
const dummyHash = hash(randomBytes(32).toString('base64url'), ARGON2_OPTIONS);

/** Verifies a password against a stored hash, or against a throwaway hash when there is none. */
export async function verifyPassword(storedHash: string | null, password: string): Promise<boolean> {
  if (password.length > PASSWORD_MAX_LENGTH) return false;
  try {
    const matches = await verify(storedHash ?? (await dummyHash), password);
    return matches && storedHash !== null;
  } catch {
    return false;
  }
}
