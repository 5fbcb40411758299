import { randomUUID } from 'node:crypto';

import { TOPICS } from '@tracking/contracts';
import {
  ConflictError,
  fieldErrors,
  NotFoundError,
  PermissionDeniedError,
  ValidationError,
} from '@tracking/kit';
import { z } from 'zod';

import type { Deps, Tx } from './deps';
import { emit } from './changes';
import { consumeEmailToken, issueEmailToken, revokeLiveTokens } from './email-tokens';
import { emailSchema, reauthenticate } from './login';
import type { ActorHistory } from './metrics';
import { appLink, notify } from './notify';
import { checkPasswordPolicy, hashPassword } from './passwords';
import { isRole, type Role } from './rbac';
import { emitRevoked, revokeSessions, type ValidSession } from './sessions';
import { clearThrottle, loginKey, mfaKey } from './throttle';
import { assertNotFrozen, noticeEmailChanged } from './recovery';
import { emailDigest } from './tokens';

export const registrationSchema = z.object({
  email: emailSchema,
  // Length here so that every field's problem is reported at once; the rest of the policy
  // (common and guessable passwords) in checkPasswordPolicy.
  password: z
    .string()
    .min(12, { message: 'must be at least 12 characters' })
    .max(256, { message: 'must be at most 256 characters' }),
  displayName: z.string().trim().min(1, { message: 'is required' }).max(80),
});
export type Registration = z.input<typeof registrationSchema>;

export interface RegisteredUser {
  id: string;
  role: Role;
  createdAt: Date;
}

/**
 * Creates an account and mails an address-verification link. The row, the event and its
 * audit event are written in one transaction; the outbox relay publishes them afterwards.
 */
export async function registerUser(
  deps: Deps,
  input: Registration,
  role: Role = 'client',
): Promise<RegisteredUser> {
  const parsed = registrationSchema.safeParse(input);
  if (!parsed.success) throw new ValidationError('invalid registration', fieldErrors(parsed.error));
  const { email, password, displayName } = parsed.data;
  await checkPasswordPolicy(password, [email, displayName]);
  const passwordHash = await hashPassword(password);
  const id = randomUUID();
  const now = deps.clock();
  try {
    const user = await deps.prisma.$transaction(async (tx) => {
      const created = await tx.user.create({
        data: { id, email, passwordHash, displayName, role, createdAt: now, passwordChangedAt: now },
      });
      await emit(tx, {
        topic: TOPICS.authUser,
        type: 'auth.user.registered',
        actor: { userId: id, role },
        subject: { type: 'user', id },
        outcome: 'success',
        data: { userId: id, role },
        occurredAt: now,
      });
      const { token, expiresAt } = await issueEmailToken(deps, tx, id, 'verify_email');
      await notify(
        tx,
        'email_verification',
        { email },
        { verifyUrl: appLink(deps, '/verify-email', token), expiresAt: expiresAt.toISOString() },
        now,
      );
      return created;
    });
    deps.log.info({ event: 'auth.user.registered', userId: id, role }, 'account registered');
    return { id: user.id, role, createdAt: user.createdAt };
  } catch (error) {
    if ((error as { code?: string }).code === 'P2002') throw new ConflictError('email already registered');
    throw error;
  }
}

/** Verifies an address, or completes an email change (which revokes every session). */
export async function verifyEmail(deps: Deps, token: string): Promise<{ userId: string; email: string }> {
  const now = deps.clock();
  try {
    return await deps.prisma.$transaction(async (tx) => {
      const consumed = await consumeEmailToken(deps, tx, token, ['verify_email', 'change_email']);
      const user = await tx.user.findUniqueOrThrow({ where: { id: consumed.userId } });
      const role = isRole(user.role) ? user.role : null;
      if (consumed.purpose === 'verify_email') {
        await tx.user.update({ where: { id: user.id }, data: { emailVerifiedAt: now } });
        await emit(tx, {
          topic: TOPICS.authUser,
          type: 'auth.user.email_verified',
          actor: { userId: user.id, role },
          subject: { type: 'user', id: user.id },
          outcome: 'success',
          data: {},
          occurredAt: now,
        });
        return { userId: user.id, email: user.email };
      }
      // A report from the old address froze the account: its pending changes are dead anyway.
      assertNotFrozen(user);
      const email = consumed.newEmail ?? user.email;
      await tx.user.update({ where: { id: user.id }, data: { email, emailVerifiedAt: now } });
      const revoked = await revokeSessions(deps, tx, user.id, 'email_changed');
      await noticeEmailChanged(deps, tx, user, user.email, email);
      await emit(tx, {
        topic: TOPICS.authUser,
        type: 'auth.user.email_changed',
        actor: { userId: user.id, role },
        subject: { type: 'user', id: user.id },
        outcome: 'success',
        data: { sessionsRevoked: revoked },
        occurredAt: now,
      });
      return { userId: user.id, email };
    });
  } catch (error) {
    if ((error as { code?: string }).code === 'P2002') throw new ConflictError('email already registered');
    throw error;
  }
}

export async function resetPassword(deps: Deps, token: string, newPassword: string): Promise<void> {
  const now = deps.clock();
  const { email, userId } = await deps.prisma.$transaction(async (tx) => {
    const consumed = await consumeEmailToken(deps, tx, token, ['reset_password']);
    const user = await tx.user.findUniqueOrThrow({ where: { id: consumed.userId } });
    await checkPasswordPolicy(newPassword, [user.email, user.displayName]);
    const passwordHash = await hashPassword(newPassword);
    await tx.user.update({
      where: { id: user.id },
      // Following the link proves the mailbox: the address counts as verified, and an account
      // frozen by a "this wasn't me" report is its owner's again.
      data: {
        passwordHash,
        passwordChangedAt: now,
        emailVerifiedAt: user.emailVerifiedAt ?? now,
        recoveryRequiredAt: null,
      },
    });
    const revoked = await revokeSessions(deps, tx, user.id, 'password_reset');
    const linksRevoked = await revokeLiveTokens(deps, tx, user.id, ['change_email', 'reset_password']);
    await notify(
      tx,
      'password_changed',
      { userId: user.id },
      { changedAt: now.toISOString(), reportUrl: appLink(deps, '/forgot-password') },
      now,
    );
    await emit(tx, {
      topic: TOPICS.authUser,
      type: 'auth.user.password_reset',
      actor: { userId: user.id, role: isRole(user.role) ? user.role : null },
      subject: { type: 'user', id: user.id },
      outcome: 'success',
      data: { sessionsRevoked: revoked, linksRevoked },
      occurredAt: now,
    });
    return { email: user.email, userId: user.id };
  });
  await clearThrottle(deps, [loginKey(emailDigest(email)), mfaKey(userId)]);
}

/** Needs the current password; every other session of the user is revoked. */
export async function changePassword(
  deps: Deps,
  caller: ValidSession,
  currentPassword: string,
  newPassword: string,
): Promise<{ sessionsRevoked: number }> {
  await reauthenticate(deps, caller, currentPassword);
  const user = await deps.prisma.user.findUniqueOrThrow({ where: { id: caller.userId } });
  await checkPasswordPolicy(newPassword, [user.email, user.displayName]);
  if (newPassword === currentPassword) {
    throw new ValidationError('password does not meet the policy', {
      newPassword: 'must differ from the current one',
    });
  }
  const passwordHash = await hashPassword(newPassword);
  const now = deps.clock();
  const sessionsRevoked = await deps.prisma.$transaction(async (tx) => {
    await tx.user.update({ where: { id: caller.userId }, data: { passwordHash, passwordChangedAt: now } });
    const revoked = await revokeSessions(deps, tx, caller.userId, 'password_changed', {
      except: caller.sessionId,
    });
    // Whoever knew the old password may have asked for an email change or a reset: those links die.
    const linksRevoked = await revokeLiveTokens(deps, tx, caller.userId, ['change_email', 'reset_password']);
    await notify(
      tx,
      'password_changed',
      { userId: caller.userId },
      { changedAt: now.toISOString(), reportUrl: appLink(deps, '/forgot-password') },
      now,
    );
    await emit(tx, {
      topic: TOPICS.authUser,
      type: 'auth.user.password_changed',
      actor: caller,
      subject: { type: 'user', id: caller.userId },
      outcome: 'success',
      data: { sessionsRevoked: revoked, linksRevoked },
      occurredAt: now,
    });
    return revoked;
  });
  return { sessionsRevoked };
}

export async function logout(deps: Deps, caller: ValidSession): Promise<void> {
  await deps.prisma.$transaction(async (tx) => {
    await revokeSessions(deps, tx, caller.userId, 'logout', { only: caller.sessionId });
    await emitRevoked(tx, caller, caller.userId, 'logout', 1, deps.clock());
  });
}

export async function revokeAllOwnSessions(
  deps: Deps,
  caller: ValidSession,
  keepCurrent: boolean,
): Promise<number> {
  return deps.prisma.$transaction(async (tx) => {
    const revoked = await revokeSessions(
      deps,
      tx,
      caller.userId,
      'user_revoked_all',
      keepCurrent ? { except: caller.sessionId } : {},
    );
    await emitRevoked(tx, caller, caller.userId, 'user_revoked_all', revoked, deps.clock());
    return revoked;
  });
}

async function targetUser(tx: Tx, caller: ValidSession, userId: string) {
  const parsed = z.uuid().safeParse(userId);
  if (!parsed.success) throw new ValidationError('invalid user id', { userId: 'must be a UUID' });
  const user = await tx.user.findUnique({ where: { id: parsed.data } });
  if (!user) throw new NotFoundError('no such user');
  if (user.id === caller.userId) {
    // An admin cannot demote or disable themself: the last admin could lock everyone out.
    throw new PermissionDeniedError('admins cannot change their own role or status');
  }
  return user;
}

/** An admin is dormant for privilege changes after this long without one. */
const DORMANT_AFTER_MS = 90 * 86_400_000;

/**
 * Records that `actorId` changed someone's privileges now, and says how usual that is for
 * them: never before (first_time), not for 90 days (dormant), or regular. The previous time
 * comes from the statement's own snapshot, so concurrent changes by one admin each see a
 * consistent answer.
 */
async function actorHistory(tx: Tx, actorId: string, now: Date): Promise<ActorHistory> {
  const [row] = await tx.$queryRaw<{ previous: Date | null }[]>`
    INSERT INTO privilege_actor AS p (actor_user_id, first_change_at, last_change_at, changes)
    VALUES (${actorId}::uuid, ${now}, ${now}, 1)
    ON CONFLICT (actor_user_id) DO UPDATE SET last_change_at = ${now}, changes = p.changes + 1
    RETURNING (SELECT last_change_at FROM privilege_actor WHERE actor_user_id = ${actorId}::uuid) AS previous`;
  const previous = row?.previous;
  if (!previous) return 'first_time';
  return now.getTime() - previous.getTime() > DORMANT_AFTER_MS ? 'dormant' : 'regular';
}

/** Admin only (checked by the caller through the permission matrix). Revokes every session of the user. */
export async function setRole(
  deps: Deps,
  caller: ValidSession,
  userId: string,
  role: Role,
): Promise<{ previousRole: Role; sessionsRevoked: number }> {
  const now = deps.clock();
  const result = await deps.prisma.$transaction(async (tx) => {
    const user = await targetUser(tx, caller, userId);
    const previousRole = isRole(user.role) ? user.role : 'client';
    if (previousRole === role) return { previousRole, sessionsRevoked: 0, changed: undefined };
    await tx.user.update({ where: { id: user.id }, data: { role } });
    const sessionsRevoked = await revokeSessions(deps, tx, user.id, 'role_changed');
    await emit(tx, {
      topic: TOPICS.authUser,
      type: 'auth.role.changed',
      actor: caller,
      subject: { type: 'user', id: user.id },
      outcome: 'success',
      data: { from: previousRole, to: role, sessionsRevoked },
      occurredAt: now,
    });
    const actor = await actorHistory(tx, caller.userId, now);
    return { previousRole, sessionsRevoked, changed: { userId: user.id, actor } };
  });
  // Reported once committed: a change that rolled back is no change.
  if (result.changed) {
    const { userId: changedId, actor } = result.changed;
    deps.metrics.privilegeChanges.inc({ kind: `role_${role}`, actor });
    deps.security.record(
      'auth.role.changed',
      { userId: changedId, actorUserId: caller.userId, actor, from: result.previousRole, to: role },
      'role changed',
    );
  }
  return { previousRole: result.previousRole, sessionsRevoked: result.sessionsRevoked };
}

/** Admin only. Disabling revokes every session; the account cannot sign in until enabled. */
export async function setUserDisabled(
  deps: Deps,
  caller: ValidSession,
  userId: string,
  disabled: boolean,
): Promise<{ sessionsRevoked: number }> {
  const now = deps.clock();
  const result = await deps.prisma.$transaction(async (tx) => {
    const user = await targetUser(tx, caller, userId);
    if (Boolean(user.disabledAt) === disabled) return { sessionsRevoked: 0, changed: undefined };
    await tx.user.update({ where: { id: user.id }, data: { disabledAt: disabled ? now : null } });
    const sessionsRevoked = disabled ? await revokeSessions(deps, tx, user.id, 'account_disabled') : 0;
    await emit(tx, {
      topic: TOPICS.authUser,
      type: disabled ? 'auth.user.disabled' : 'auth.user.enabled',
      actor: caller,
      subject: { type: 'user', id: user.id },
      outcome: 'success',
      data: { sessionsRevoked },
      occurredAt: now,
    });
    return {
      sessionsRevoked,
      changed: { userId: user.id, actor: await actorHistory(tx, caller.userId, now) },
    };
  });
  if (result.changed) {
    const { userId: changedId, actor } = result.changed;
    deps.metrics.privilegeChanges.inc({ kind: disabled ? 'disabled' : 'enabled', actor });
    deps.security.record(
      disabled ? 'auth.account.disabled' : 'auth.account.enabled',
      { userId: changedId, actorUserId: caller.userId, actor },
      disabled ? 'account disabled' : 'account enabled',
    );
  }
  return { sessionsRevoked: result.sessionsRevoked };
}

/** Admin only: revokes every session of another user. */
export async function revokeUserSessions(deps: Deps, caller: ValidSession, userId: string): Promise<number> {
  return deps.prisma.$transaction(async (tx) => {
    const user = await targetUser(tx, caller, userId);
    const revoked = await revokeSessions(deps, tx, user.id, 'admin_revoked');
    await emitRevoked(tx, caller, user.id, 'admin_revoked', revoked, deps.clock());
    return revoked;
  });
}

/** The caller's own account, as GetMe shows it, with how many unused recovery codes are left. */
export async function accountOf(deps: Deps, caller: ValidSession) {
  const user = await deps.prisma.user.findUniqueOrThrow({ where: { id: caller.userId } });
  const recoveryCodesLeft = await deps.prisma.recoveryCode.count({
    where: { userId: caller.userId, usedAt: null },
  });
  return { user, recoveryCodesLeft };
}
