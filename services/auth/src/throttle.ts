import { SECURITY_AUDIT_ACTIONS, TOPICS } from '@tracking/contracts';
import { clientAddressKey, RateLimitedError } from '@tracking/kit';

import { emit } from './changes';
import type { Deps, Tx } from './deps';

export type ThrottleScope = 'login' | 'mfa' | 'ip';

export interface ThrottleKey {
  scope: ThrottleScope;
  /** 'login:<email digest>', 'mfa:<user id>' or 'ip:<address>' (an IPv6 address's /64). */
  key: string;
}

export const loginKey = (emailDigestHex: string): ThrottleKey => ({
  scope: 'login',
  key: `login:${emailDigestHex}`,
});
export const mfaKey = (userId: string): ThrottleKey => ({ scope: 'mfa', key: `mfa:${userId}` });
/** Per IPv4 address, or per IPv6 /64: one IPv6 host has a /64 of addresses to rotate through (#20). */
export const ipKey = (ip: string): ThrottleKey => ({ scope: 'ip', key: `ip:${clientAddressKey(ip)}` });

/** A hard lock lasts until a password reset clears it; stored as a far-future time. */
const HARD_LOCK_MS = 100 * 365 * 24 * 3600 * 1000;

/** A pause one attempt started: its scope and length, or null for a lock only a password reset lifts. */
export interface Pause {
  scope: ThrottleScope;
  seconds: number | null;
}

/** An attempt that has been counted and may go on to check a password or code. */
export interface Attempt {
  keys: ThrottleKey[];
  /** The pauses this attempt started (they are reported only if the attempt fails). */
  pausing: Pause[];
}

/**
 * Counts an attempt against every key *before* the password or code is checked, and refuses
 * it if any key is paused. Counting first, in one transaction holding each key's row lock,
 * means a burst of parallel guesses cannot all slip in before the first failure is written.
 * Once a key is past its free attempts, each attempt starts a pause of
 * base · 2^(attempts − free), capped, and at `hardLockAfter` only a password reset unlocks.
 * Login keys are per email digest, not per account, so a pause reveals nothing about whether
 * the account exists.
 */
export async function beginAttempt(deps: Deps, keys: ThrottleKey[]): Promise<Attempt> {
  const now = deps.clock();
  const sorted = [...keys].sort((a, b) => a.key.localeCompare(b.key));
  let pausing: Pause[];
  try {
    pausing = await deps.prisma.$transaction(async (tx) => {
      const counted: { entry: ThrottleKey; attempts: number }[] = [];
      for (const entry of sorted) {
        const rule = deps.policy.throttle[entry.scope];
        const resetBefore = new Date(now.getTime() - rule.resetAfterMs);
        const [row] = await tx.$queryRaw<{ failures: number }[]>`
        INSERT INTO throttle AS t (key, failures, last_failure_at) VALUES (${entry.key}, 1, ${now})
        ON CONFLICT (key) DO UPDATE SET
          failures = CASE WHEN t.last_failure_at < ${resetBefore} THEN 1 ELSE t.failures + 1 END,
          last_failure_at = ${now}
        WHERE t.locked_until IS NULL OR t.locked_until <= ${now}
        RETURNING failures`;
        // No row: the key is paused. Throwing rolls back the other keys' counts too.
        if (!row) throw new Paused();
        counted.push({ entry, attempts: row.failures });
      }
      const started: Pause[] = [];
      for (const { entry, attempts } of counted) {
        const rule = deps.policy.throttle[entry.scope];
        if (attempts < rule.freeFailures) continue;
        const hard = rule.hardLockAfter !== undefined && attempts >= rule.hardLockAfter;
        const pauseMs = hard
          ? HARD_LOCK_MS
          : Math.min(rule.maxLockMs, rule.baseLockMs * 2 ** (attempts - rule.freeFailures));
        await tx.throttle.update({
          where: { key: entry.key },
          data: { lockedUntil: new Date(now.getTime() + pauseMs) },
        });
        started.push({ scope: entry.scope, seconds: hard ? null : Math.round(pauseMs / 1000) });
      }
      return started;
    });
  } catch (error) {
    if (error instanceof Paused) return refuse(deps, keys, now);
    throw error;
  }
  return { keys, pausing };
}

class Paused extends Error {}

async function refuse(deps: Deps, keys: ThrottleKey[], now: Date): Promise<never> {
  const rows = await deps.prisma.throttle.findMany({
    where: { key: { in: keys.map((entry) => entry.key) }, lockedUntil: { gt: now } },
    select: { key: true, lockedUntil: true },
  });
  const until = Math.max(now.getTime() + 1000, ...rows.map((row) => row.lockedUntil?.getTime() ?? 0));
  const hard = until - now.getTime() > HARD_LOCK_MS / 2;
  const scopes = keys
    .filter((entry) => rows.some((row) => row.key === entry.key))
    .map((entry) => entry.scope);
  if (scopes.includes('mfa')) deps.metrics.mfaFailures.inc({ reason: 'throttled' });
  else deps.metrics.loginFailures.inc({ reason: 'throttled' });
  if (hard) {
    throw new RateLimitedError(
      'too many failed attempts: reset your password through the link we can email you',
      0,
      { recovery: 'password_reset' },
    );
  }
  throw new RateLimitedError(
    'too many failed attempts: try again later',
    Math.max(1, Math.ceil((until - now.getTime()) / 1000)),
  );
}

/** The attempt failed: its count stands, and any pause it started is reported; returns their scopes. */
export function attemptFailed(deps: Deps, attempt: Attempt): ThrottleScope[] {
  for (const { scope, seconds } of attempt.pausing) {
    deps.metrics.lockouts.inc({ scope });
    // The key itself stays out of the line: an email digest or an address is enough to pivot on
    // through the correlation id, and the login line beside it names the user.
    deps.security.record(
      'auth.lockout',
      { scope, pauseSeconds: seconds },
      `a ${scope} throttle paused further attempts`,
    );
  }
  return attempt.pausing.map((pause) => pause.scope);
}

/**
 * A failed attempt that paused an account (its sign-in or its second factor) leaves an audit
 * entry of its own, auth.account.locked, with the pause's length, in the caller's transaction:
 * the one that records the failure when there is one. An address's pause is not an account's
 * lock: it shows as the address on these entries and in auth_lockouts_total{scope="ip"}.
 */
export async function recordLockouts(
  tx: Tx,
  attempt: Attempt,
  subject: { type: 'user' | 'email'; id: string },
  occurredAt: Date,
): Promise<void> {
  for (const pause of attempt.pausing) {
    if (pause.scope === 'ip') continue;
    await emit(tx, {
      topic: pause.scope === 'mfa' ? TOPICS.authMfa : TOPICS.authSession,
      type: SECURITY_AUDIT_ACTIONS.accountLocked,
      actor: { userId: null, role: null },
      subject,
      outcome: 'success',
      data: { scope: pause.scope, pauseSeconds: pause.seconds, untilPasswordReset: pause.seconds === null },
      occurredAt,
    });
  }
}

/** recordLockouts in a transaction of its own, for failures that write nothing else. */
export async function recordLockoutsAlone(
  deps: Pick<Deps, 'prisma' | 'clock'>,
  attempt: Attempt,
  subject: { type: 'user' | 'email'; id: string },
): Promise<void> {
  if (!attempt.pausing.some((pause) => pause.scope !== 'ip')) return;
  const now = deps.clock();
  await deps.prisma.$transaction((tx) => recordLockouts(tx, attempt, subject, now));
}

/**
 * The attempt succeeded: the account's (or second factor's) run of failures is forgotten; the
 * source address only gets this attempt back, so one good account cannot launder an address
 * that is guessing at others.
 */
export async function attemptSucceeded(deps: Deps, attempt: Attempt): Promise<void> {
  const forget = attempt.keys.filter((entry) => entry.scope !== 'ip').map((entry) => entry.key);
  const ips = attempt.keys.filter((entry) => entry.scope === 'ip').map((entry) => entry.key);
  await deps.prisma.$transaction([
    deps.prisma.throttle.deleteMany({ where: { key: { in: forget } } }),
    deps.prisma.$executeRaw`UPDATE throttle SET failures = greatest(failures - 1, 0),
      locked_until = CASE WHEN failures - 1 < ${deps.policy.throttle.ip.freeFailures} THEN NULL ELSE locked_until END
      WHERE key = ANY(${ips})`,
  ]);
}

/** Forgets keys outright: a password reset proves control of the mailbox. */
export async function clearThrottle(deps: Deps, keys: ThrottleKey[]): Promise<void> {
  await deps.prisma.throttle.deleteMany({ where: { key: { in: keys.map((entry) => entry.key) } } });
}

/**
 * Distinct login identities with a failed (or not yet finished) attempt in the last 15 minutes:
 * many at once is credential stuffing, which no single identity's lock shows.
 */
export async function failingLoginIdentities(deps: Pick<Deps, 'prisma'>): Promise<number> {
  const [row] = await deps.prisma.$queryRaw<{ identities: number }[]>`
    SELECT count(*)::int AS identities FROM throttle
    WHERE key LIKE 'login:%' AND last_failure_at > now() - interval '15 minutes'`;
  return row?.identities ?? 0;
}
