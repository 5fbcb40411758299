import { randomBytes, randomUUID } from 'node:crypto';

import { maskEmail, TOPICS } from '@tracking/contracts';
import {
  decrypt,
  encrypt,
  fieldErrors,
  FailedPreconditionError,
  runWithContext,
  ValidationError,
} from '@tracking/kit';

import type { Deps, Tx } from './deps';
import { emit } from './changes';
import { consumeEmailToken, issueEmailToken, revokeLiveTokens } from './email-tokens';
import { emailSchema, reauthenticate } from './login';
import { appLink, notify } from './notify';
import { hashPassword } from './passwords';
import { isRole } from './rbac';
import { revokeSessions, type ValidSession } from './sessions';
import { emailDigest } from './tokens';

/*
 * Account recovery (docs/auth.md, "Recovery"). The two requests that take an address from the
 * caller — a password reset and a change of email — answer after the same constant work
 * whatever the address: one sealed row in recovery_requests. Whether the address has an
 * account, or is taken, is found out afterwards by processRecoveryRequests, which also issues
 * the link and asks for the mail through the outbox. So neither the answer nor its timing says
 * whether an address is registered.
 */

/** Links mailed per address and kind within an hour; further requests are recorded and dropped. */
export const RECOVERY_MAILS_PER_ADDRESS_PER_HOUR = 3;

type RecoveryKind = 'reset_password' | 'change_email';

const sealAad = (id: string) => `auth.recovery_requests.email_sealed:${id}`;

async function recordRequest(
  deps: Deps,
  kind: RecoveryKind,
  email: string,
  userId: string | null,
): Promise<void> {
  const id = randomUUID();
  await deps.prisma.recoveryRequest.create({
    data: {
      id,
      kind,
      emailDigest: emailDigest(email),
      emailSealed: encrypt(deps.keyring, email, sealAad(id)),
      userId,
      requestedAt: deps.clock(),
    },
  });
}

/**
 * The public "forgot my password": answers the same, after the same work, for any
 * well-formed address. The link (if the address has an account) follows within seconds.
 */
export async function requestPasswordReset(deps: Deps, rawEmail: string): Promise<void> {
  const parsed = emailSchema.safeParse(rawEmail);
  if (!parsed.success) throw new ValidationError('invalid request', fieldErrors(parsed.error));
  await recordRequest(deps, 'reset_password', parsed.data, null);
}

/**
 * Needs the current password. The new address gets a confirmation link and the current one a
 * notice with a "this wasn't me" link, unless the new address is taken: then neither link is
 * sent, the old address is still told, and the caller cannot tell the difference.
 */
export async function requestEmailChange(
  deps: Deps,
  caller: ValidSession,
  currentPassword: string,
  rawEmail: string,
): Promise<void> {
  const parsed = emailSchema.safeParse(rawEmail);
  if (!parsed.success) throw new ValidationError('invalid email', { newEmail: 'must be an email address' });
  await reauthenticate(deps, caller, currentPassword);
  const newEmail = parsed.data;
  if (newEmail === caller.email)
    throw new ValidationError('invalid email', { newEmail: 'is already your address' });
  await recordRequest(deps, 'change_email', newEmail, caller.userId);
}

/** Issues and mails a single-use reset link, replacing any live one; returns it (the bootstrap command prints it once). */
export async function sendPasswordResetLink(
  deps: Deps,
  user: { id: string; email: string },
): Promise<string> {
  return deps.prisma.$transaction((tx) => issueResetLink(deps, tx, user));
}

async function issueResetLink(deps: Deps, tx: Tx, user: { id: string; email: string }): Promise<string> {
  // One live reset link per account: a new request makes the previous one worthless.
  await revokeLiveTokens(deps, tx, user.id, ['reset_password']);
  const { token, expiresAt } = await issueEmailToken(deps, tx, user.id, 'reset_password');
  const resetUrl = appLink(deps, '/reset-password', token);
  await notify(
    tx,
    'password_reset',
    { email: user.email },
    { resetUrl, expiresAt: expiresAt.toISOString() },
    deps.clock(),
  );
  return resetUrl;
}

type Outcome = 'sent' | 'no_account' | 'taken' | 'locked' | 'rate_limited';

/**
 * Works through pending requests, oldest first; several replicas may run it at once (SKIP
 * LOCKED). Each request is processed in its own transaction with the link and mail it causes,
 * and its sealed address is erased. Returns how many it processed.
 */
export async function processRecoveryRequests(deps: Deps, batch = 20): Promise<number> {
  let processed = 0;
  for (;;) {
    const done = await deps.prisma.$transaction(async (tx) => {
      const [row] = await tx.$queryRaw<{ id: string }[]>`
        SELECT id FROM recovery_requests WHERE processed_at IS NULL
        ORDER BY requested_at LIMIT 1 FOR UPDATE SKIP LOCKED`;
      if (!row) return false;
      const request = await tx.recoveryRequest.findUniqueOrThrow({ where: { id: row.id } });
      const outcome = await processOne(deps, tx, request);
      await tx.recoveryRequest.update({
        where: { id: request.id },
        data: { processedAt: deps.clock(), outcome, emailSealed: null },
      });
      deps.metrics.recoveryRequests.inc({ kind: request.kind, outcome });
      return true;
    });
    if (!done) return processed;
    processed += 1;
    if (processed >= batch) return processed;
  }
}

async function processOne(
  deps: Deps,
  tx: Tx,
  request: {
    id: string;
    kind: string;
    emailDigest: string;
    emailSealed: string | null;
    userId: string | null;
  },
): Promise<Outcome> {
  if (!request.emailSealed) return 'no_account';
  const email = decrypt(deps.keyring, request.emailSealed, sealAad(request.id)).toString('utf8');
  const hourAgo = new Date(deps.clock().getTime() - 3600_000);
  const recent = await tx.recoveryRequest.count({
    where: {
      kind: request.kind,
      emailDigest: request.emailDigest,
      outcome: 'sent',
      processedAt: { gt: hourAgo },
    },
  });
  if (recent >= RECOVERY_MAILS_PER_ADDRESS_PER_HOUR) return 'rate_limited';

  if (request.kind === 'reset_password') {
    const user = await tx.user.findUnique({ where: { email } });
    if (!user || user.disabledAt) return 'no_account';
    await issueResetLink(deps, tx, user);
    return 'sent';
  }

  const user = request.userId ? await tx.user.findUnique({ where: { id: request.userId } }) : null;
  if (!user || user.disabledAt) return 'no_account';
  if (user.recoveryRequiredAt) return 'locked';
  const now = deps.clock();
  const taken = await tx.user.findUnique({ where: { email }, select: { id: true } });
  if (!taken) {
    // One pending change at a time: the newest request is the one that counts.
    await revokeLiveTokens(deps, tx, user.id, ['change_email']);
    const confirm = await issueEmailToken(deps, tx, user.id, 'change_email', { newEmail: email });
    await notify(
      tx,
      'email_change_confirm',
      { email },
      {
        confirmUrl: appLink(deps, '/verify-email', confirm.token),
        expiresAt: confirm.expiresAt.toISOString(),
      },
      now,
    );
  }
  // The current address hears of the attempt either way, with the way to stop it.
  const report = await issueEmailToken(deps, tx, user.id, 'report_email_change', {
    newEmail: email,
    oldEmail: user.email,
  });
  await notify(
    tx,
    'email_change_requested',
    { email: user.email },
    {
      newEmail: maskEmail(email),
      reportUrl: appLink(deps, '/report-email-change', report.token),
      requestedAt: now.toISOString(),
    },
    now,
  );
  return taken ? 'taken' : 'sent';
}

/** Tells the old address that its account's email changed, with a "this wasn't me" link. */
export async function noticeEmailChanged(
  deps: Deps,
  tx: Tx,
  user: { id: string },
  oldEmail: string,
  newEmail: string,
): Promise<void> {
  const now = deps.clock();
  const report = await issueEmailToken(deps, tx, user.id, 'report_email_change', { newEmail, oldEmail });
  await notify(
    tx,
    'email_change_completed',
    { email: oldEmail },
    {
      newEmail: maskEmail(newEmail),
      reportUrl: appLink(deps, '/report-email-change', report.token),
      changedAt: now.toISOString(),
    },
    now,
  );
}

/**
 * "This wasn't me", from a notice to the old address. Whoever asked for the change knew the
 * password, so the account is frozen until its owner resets the password:
 * - every pending email-change and reset link dies;
 * - a completed change is undone (the old address is the account's again) unless that
 *   address has since been taken by another account;
 * - the password stops working (replaced by a random one nobody knows) and every session ends;
 * - further email changes are refused until a password reset clears the lock.
 * The reset link goes to the (restored) old address, which the reporter just proved they read.
 */
export async function reportEmailChange(deps: Deps, token: string): Promise<{ emailRestored: boolean }> {
  const now = deps.clock();
  const scrambled = await hashPassword(randomBytes(32).toString('base64url'));
  return deps.prisma.$transaction(async (tx) => {
    const consumed = await consumeEmailToken(deps, tx, token, ['report_email_change']);
    const user = await tx.user.findUniqueOrThrow({ where: { id: consumed.userId } });
    const oldEmail = consumed.oldEmail ?? user.email;
    let emailRestored = false;
    if (user.email !== oldEmail) {
      const holder = await tx.user.findUnique({ where: { email: oldEmail }, select: { id: true } });
      if (!holder) {
        await tx.user.update({ where: { id: user.id }, data: { email: oldEmail } });
        emailRestored = true;
      }
    }
    const linksRevoked = await revokeLiveTokens(deps, tx, user.id, ['change_email', 'reset_password']);
    await tx.user.update({
      where: { id: user.id },
      data: { passwordHash: scrambled, passwordChangedAt: now, recoveryRequiredAt: now },
    });
    const sessionsRevoked = await revokeSessions(deps, tx, user.id, 'email_change_reported');
    await emit(tx, {
      topic: TOPICS.authUser,
      type: 'auth.user.email_change_reported',
      actor: { userId: null, role: null },
      subject: { type: 'user', id: user.id },
      outcome: 'success',
      data: { emailRestored, linksRevoked, sessionsRevoked, role: isRole(user.role) ? user.role : null },
      occurredAt: now,
    });
    deps.log.warn(
      { event: 'auth.user.email_change_reported', userId: user.id, emailRestored, sessionsRevoked },
      'an email change was reported as not made by the account owner; the account is frozen',
    );
    return { emailRestored };
  });
}

/** Refuses an email change on an account frozen by a report, until a password reset. */
export function assertNotFrozen(user: { recoveryRequiredAt: Date | null }): void {
  if (user.recoveryRequiredAt) {
    throw new FailedPreconditionError('this account is locked until its password is reset');
  }
}

/** Runs processRecoveryRequests every `intervalMs` until stopped; a failing round is logged and retried. */
export function startRecoveryWorker(deps: Deps, intervalMs = 500): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const timer = setInterval(() => {
    if (stopped) return;
    running = running.then(() =>
      runWithContext({ correlationId: randomUUID() }, () => processRecoveryRequests(deps)).catch(
        (error: unknown) =>
          deps.log.error({ err: error, event: 'auth.recovery.failed' }, 'recovery requests not processed'),
      ),
    );
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
