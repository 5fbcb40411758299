import { TOPICS } from '@tracking/contracts';
import {
  currentContext,
  FailedPreconditionError,
  UnauthenticatedError,
  ValidationError,
} from '@tracking/kit';
import { z } from 'zod';

import type { Deps } from './deps';
import { emit } from './changes';
import { recordSignIn } from './devices';
import { verifyPassword } from './passwords';
import { isRole, mfaStateOf, type MfaState, type Role } from './rbac';
import { createSession, type IssuedSession, type ValidSession } from './sessions';
import {
  attemptFailed,
  attemptSucceeded,
  beginAttempt,
  ipKey,
  loginKey,
  recordLockouts,
  recordLockoutsAlone,
  type ThrottleKey,
} from './throttle';
import { emailDigest } from './tokens';

export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email({ message: 'must be an email address' }).max(254));

const loginSchema = z.object({
  email: z.string().max(320),
  password: z.string().max(1024),
});

/** The answer to the right password of an account whose erasure has begun (docs/auth.md). */
export const ERASING =
  'this account is being deleted at its owner’s request and can no longer be signed in to';

/** The one answer for an unknown email, a wrong password and a disabled account. */
const BAD_CREDENTIALS = 'email or password is incorrect';

export interface LoginResult {
  session: IssuedSession;
  userId: string;
  role: Role;
  mfa: MfaState;
}

function throttleKeys(email: string): ThrottleKey[] {
  const ip = currentContext()?.clientIp;
  return [loginKey(emailDigest(email)), ...(ip ? [ipKey(ip)] : [])];
}

/**
 * Email + password. Every path that does not sign in costs the same: one throttle write, one
 * argon2id verification (against a throwaway hash when the email is unknown), one failure
 * event, and the same error. A success opens an AAL1 session; an account with TOTP must then
 * pass VerifyMfa before that session can do anything but sign out.
 */
export async function login(deps: Deps, input: { email: string; password: string }): Promise<LoginResult> {
  const parsed = loginSchema.safeParse(input);
  if (!parsed.success)
    throw new ValidationError('invalid login', { '(body)': 'email and password are required' });
  const email = parsed.data.email.trim().toLowerCase();
  const attempt = await beginAttempt(deps, throttleKeys(email));
  const user = await deps.prisma.user.findUnique({
    where: { email },
    include: { totp: { select: { confirmedAt: true } } },
  });
  const passwordOk = await verifyPassword(user?.passwordHash ?? null, parsed.data.password);
  const now = deps.clock();

  if (!user || !passwordOk || user.disabledAt || !isRole(user.role)) {
    const paused = attemptFailed(deps, attempt);
    deps.metrics.loginFailures.inc({ reason: 'bad_credentials' });
    await deps.prisma.$transaction(async (tx) => {
      const subject = user
        ? { type: 'user' as const, id: user.id }
        : { type: 'email' as const, id: emailDigest(email) };
      await emit(tx, {
        topic: TOPICS.authSession,
        type: 'auth.login.failed',
        actor: { userId: null, role: null },
        subject,
        outcome: 'failure',
        data: { reason: 'bad_credentials', paused },
        occurredAt: now,
      });
      await recordLockouts(tx, attempt, subject, now);
    });
    deps.security.record('auth.login.failed', { userId: user?.id ?? null, paused }, 'login refused');
    throw new UnauthenticatedError(BAD_CREDENTIALS);
  }

  if (user.erasingSince) {
    // Said only to someone who knows the password: the account exists, and is going.
    await attemptSucceeded(deps, attempt);
    deps.log.info(
      { event: 'auth.login.refused_erasing', userId: user.id },
      'sign-in refused: erasure running',
    );
    throw new FailedPreconditionError(ERASING);
  }

  const role = user.role;
  const { session: result, device } = await deps.prisma.$transaction(async (tx) => {
    const session = await createSession(deps, tx, { id: user.id, role }, 1);
    await emit(tx, {
      topic: TOPICS.authSession,
      type: 'auth.login.succeeded',
      actor: { userId: user.id, role },
      subject: { type: 'user', id: user.id },
      outcome: 'success',
      data: { sessionId: session.id, aal: 1 },
      occurredAt: now,
    });
    return { session, device: await recordSignIn(deps, tx, user, now) };
  });
  await attemptSucceeded(deps, attempt);
  deps.metrics.logins.inc();
  if (device) deps.metrics.newDeviceSignIns.inc({ outcome: device });
  deps.log.info({ event: 'auth.login.succeeded', userId: user.id, sessionId: result.id }, 'signed in');
  const mfa = mfaStateOf({ aal: 1 }, { role, plan: user.plan, mfaEnabled: Boolean(user.totp?.confirmedAt) });
  return { session: result, userId: user.id, role, mfa };
}

/**
 * Re-authentication before a sensitive change: the caller's current password, under the same
 * throttle as login, so a stolen session cannot be used to guess it.
 */
export async function reauthenticate(deps: Deps, caller: ValidSession, password: string): Promise<void> {
  const attempt = await beginAttempt(deps, throttleKeys(caller.email));
  const user = await deps.prisma.user.findUnique({
    where: { id: caller.userId },
    select: { passwordHash: true },
  });
  if (!(await verifyPassword(user?.passwordHash ?? null, password))) {
    attemptFailed(deps, attempt);
    await recordLockoutsAlone(deps, attempt, { type: 'user', id: caller.userId });
    deps.metrics.loginFailures.inc({ reason: 'bad_credentials' });
    deps.security.record(
      'auth.login.failed',
      { userId: caller.userId, reauthentication: true },
      'password re-authentication refused',
    );
    throw new UnauthenticatedError('the current password is incorrect');
  }
  await attemptSucceeded(deps, attempt);
}
