import { randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';

import { hash, verify } from '@node-rs/argon2';
import { ValidationError } from '@tracking/kit';
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

/**
 * The estimator's cost grows faster than linearly with length (256 characters of `p4$$w0rd` took
 * ~0.3 s, issue #20). It sees the first 64 characters, with at most 20 leet substitutions tried:
 * under ~30 ms for any input here. 64 characters that score 3 are unguessable already.
 */
const ESTIMATOR_OPTIONS = { maxLength: 64, l33tMaxSubstitutions: 20 } as const;

// The ~30k most common passwords from breach corpora: a set lookup, on the caller's thread.
const commonPasswords = new Set<string>(
  (common.dictionary as Record<string, string[] | undefined>)['passwords-common'] ?? [],
);

// The estimate itself runs in one worker thread, so a burst of sign-ups with long passwords
// queues there instead of stalling every other request on auth's event loop. The worker is
// plain CommonJS given absolute module paths, so it runs the same under tsx, jest and the image.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { ZxcvbnFactory } = require(workerData.core);
const common = require(workerData.common);
const zxcvbn = new ZxcvbnFactory({ dictionary: common.dictionary, graphs: common.adjacencyGraphs, ...workerData.options });
parentPort.on('message', ({ id, password, userInputs }) => {
  parentPort.postMessage({ id, score: zxcvbn.check(password, userInputs).score });
});
`;

interface Pending {
  resolve(score: number): void;
  reject(error: Error): void;
}

class StrengthEstimator {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  score(password: string, userInputs: string[]): Promise<number> {
    const worker = this.worker ?? this.start();
    const id = (this.nextId += 1);
    return new Promise<number>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // Only idle with nothing in flight: a pending check keeps the process alive, an idle worker does not.
      if (this.pending.size === 1) worker.ref();
      worker.postMessage({ id, password, userInputs });
    });
  }

  private start(): Worker {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        core: require.resolve('@zxcvbn-ts/core'),
        common: require.resolve('@zxcvbn-ts/language-common'),
        options: ESTIMATOR_OPTIONS,
      },
    });
    worker.unref();
    worker.on('message', ({ id, score }: { id: number; score: number }) => {
      this.pending.get(id)?.resolve(score);
      this.pending.delete(id);
      if (this.pending.size === 0) worker.unref();
    });
    const fail = (error: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const pending of this.pending.values()) pending.reject(error);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`password strength worker exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }
}

const estimator = new StrengthEstimator();

/**
 * NIST SP 800-63B §5.1.1.2: a minimum length, no composition rules, and a check against
 * breached, common and context-specific values. The error names the rule, never the value.
 * The cheap rules first; the strength estimate off the event loop.
 */
export async function checkPasswordPolicy(password: string, context: string[] = []): Promise<void> {
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
  if ((await estimator.score(password, userInputs)) < MIN_STRENGTH)
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
