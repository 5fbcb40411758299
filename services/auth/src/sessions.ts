import { randomUUID } from 'node:crypto';

import { TOPICS } from '@tracking/contracts';
import { currentContext, NotFoundError, UnauthenticatedError } from '@tracking/kit';

import type { Deps, Tx } from './deps';
import { emit } from './changes';
import { isRole, mfaStateOf, type MfaState, type Role } from './rbac';
import { isTokenShaped, newSecretToken, tokenDigest } from './tokens';

/** Last-seen is written at most this often per session, so validation is mostly a read. */
const TOUCH_INTERVAL_MS = 30_000;

export interface IssuedSession {
  id: string;
  /** The bearer credential, returned to the caller once; only its digest is stored. */
  token: string;
  idleExpiresAt: Date;
  absoluteExpiresAt: Date;
}

export interface ValidSession {
  sessionId: string;
  userId: string;
  email: string;
  emailVerified: boolean;
  role: Role;
  plan: string;
  aal: number;
  mfaEnabled: boolean;
  mfa: MfaState;
  idleExpiresAt: Date;
  absoluteExpiresAt: Date;
}

export async function createSession(
  deps: Deps,
  tx: Tx,
  user: { id: string; role: Role },
  aal: 1 | 2,
): Promise<IssuedSession> {
  const now = deps.clock();
  const { token, digest } = newSecretToken();
  const context = currentContext();
  const absoluteExpiresAt = new Date(now.getTime() + deps.policy.sessions.absoluteMs[user.role]);
  const session = await tx.session.create({
    data: {
      id: randomUUID(),
      userId: user.id,
      tokenHash: digest,
      aal,
      ip: context?.clientIp ?? null,
      userAgent: context?.userAgent ?? null,
      createdAt: now,
      lastSeenAt: now,
      absoluteExpiresAt,
    },
  });
  return { id: session.id, token, ...expiries(deps, session, user.role) };
}

function expiries(deps: Deps, session: { lastSeenAt: Date; absoluteExpiresAt: Date }, role: Role) {
  const idle = new Date(session.lastSeenAt.getTime() + deps.policy.sessions.idleMs[role]);
  return {
    idleExpiresAt: idle < session.absoluteExpiresAt ? idle : session.absoluteExpiresAt,
    absoluteExpiresAt: session.absoluteExpiresAt,
  };
}

/**
 * Resolves a token to its live session, or fails with one indistinct 401 for a token that is
 * unknown, revoked, idle too long, past its absolute lifetime or whose account is disabled.
 * Nothing is cached: a revocation holds from the very next call.
 */
export async function validateSession(deps: Deps, token: string | undefined): Promise<ValidSession> {
  if (!isTokenShaped(token)) throw new UnauthenticatedError('session is missing or has expired');
  const now = deps.clock();
  const session = await deps.prisma.session.findUnique({
    where: { tokenHash: tokenDigest(token) },
    include: { user: { include: { totp: { select: { confirmedAt: true } } } } },
  });
  const role = session?.user.role;
  // An account whose erasure began holds no session either (a sign-in racing the revocation).
  const gone = session?.user.disabledAt ?? session?.user.erasingSince;
  if (!session || !role || !isRole(role) || session.revokedAt || gone) {
    throw new UnauthenticatedError('session is missing or has expired');
  }
  const { idleExpiresAt, absoluteExpiresAt } = expiries(deps, session, role);
  if (now >= idleExpiresAt || now >= absoluteExpiresAt) {
    throw new UnauthenticatedError('session is missing or has expired');
  }
  let lastSeenAt = session.lastSeenAt;
  if (now.getTime() - lastSeenAt.getTime() >= TOUCH_INTERVAL_MS) {
    // Conditional, so a concurrent revocation is never undone and two touches do not race.
    await deps.prisma.session.updateMany({
      where: { id: session.id, revokedAt: null, lastSeenAt: session.lastSeenAt },
      data: { lastSeenAt: now },
    });
    lastSeenAt = now;
  }
  const mfaEnabled = Boolean(session.user.totp?.confirmedAt);
  const user = { role, plan: session.user.plan, mfaEnabled };
  return {
    sessionId: session.id,
    userId: session.userId,
    email: session.user.email,
    emailVerified: session.user.emailVerifiedAt !== null,
    role,
    plan: session.user.plan,
    aal: session.aal,
    mfaEnabled,
    mfa: mfaStateOf(session, user),
    ...expiries(deps, { lastSeenAt, absoluteExpiresAt }, role),
  };
}

export type RevokeReason =
  | 'account_erasing'
  | 'logout'
  | 'user_revoked'
  | 'user_revoked_all'
  | 'admin_revoked'
  | 'password_changed'
  | 'password_reset'
  | 'email_changed'
  | 'email_change_reported'
  | 'mfa_enabled'
  | 'mfa_disabled'
  | 'role_changed'
  | 'account_disabled';

/** Revokes a user's live sessions (all, or all but one) in the caller's transaction; returns how many. */
export async function revokeSessions(
  deps: Deps,
  tx: Tx,
  userId: string,
  reason: RevokeReason,
  options: { except?: string; only?: string } = {},
): Promise<number> {
  const { count } = await tx.session.updateMany({
    where: {
      userId,
      revokedAt: null,
      ...(options.only ? { id: options.only } : {}),
      ...(options.except ? { id: { not: options.except } } : {}),
    },
    data: { revokedAt: deps.clock(), revokedReason: reason },
  });
  if (count > 0) deps.metrics.sessionsRevoked.inc({ reason }, count);
  return count;
}

/** Replaces a session's token (after a second factor), so a token seen before the upgrade is worthless. */
export async function upgradeSession(deps: Deps, tx: Tx, session: ValidSession): Promise<IssuedSession> {
  const { token, digest } = newSecretToken();
  const { count } = await tx.session.updateMany({
    where: { id: session.sessionId, revokedAt: null },
    data: { tokenHash: digest, aal: 2, lastSeenAt: deps.clock() },
  });
  if (count !== 1) throw new UnauthenticatedError('session is missing or has expired');
  return {
    id: session.sessionId,
    token,
    ...expiries(
      deps,
      { lastSeenAt: deps.clock(), absoluteExpiresAt: session.absoluteExpiresAt },
      session.role,
    ),
  };
}

export interface SessionListing {
  id: string;
  ip: string | null;
  userAgent: string | null;
  createdAt: Date;
  lastSeenAt: Date;
  aal: number;
  current: boolean;
}

/** The user's live sessions, newest activity first. */
export async function listSessions(deps: Deps, caller: ValidSession): Promise<SessionListing[]> {
  const now = deps.clock();
  const rows = await deps.prisma.session.findMany({
    where: { userId: caller.userId, revokedAt: null, absoluteExpiresAt: { gt: now } },
    orderBy: { lastSeenAt: 'desc' },
    take: 100,
  });
  return rows
    .filter((row) => expiries(deps, row, caller.role).idleExpiresAt > now)
    .map((row) => ({
      id: row.id,
      ip: row.ip,
      userAgent: row.userAgent,
      createdAt: row.createdAt,
      lastSeenAt: row.lastSeenAt,
      aal: row.aal,
      current: row.id === caller.sessionId,
    }));
}

/** Revokes one of the caller's own sessions; someone else's session id is simply not found. */
export async function revokeOwnSession(deps: Deps, caller: ValidSession, sessionId: string): Promise<void> {
  const count = await deps.prisma.$transaction(async (tx) => {
    const revoked = await revokeSessions(deps, tx, caller.userId, 'user_revoked', { only: sessionId });
    if (revoked > 0) await emitRevoked(tx, caller, caller.userId, 'user_revoked', revoked, deps.clock());
    return revoked;
  });
  if (count === 0) throw new NotFoundError('no such session');
}

export async function emitRevoked(
  tx: Tx,
  actor: { userId: string; role: Role },
  subjectUserId: string,
  reason: RevokeReason,
  count: number,
  occurredAt: Date,
): Promise<void> {
  await emit(tx, {
    topic: TOPICS.authSession,
    type: 'auth.sessions.revoked',
    actor,
    subject: { type: 'user', id: subjectUserId },
    outcome: 'success',
    data: { reason, count },
    occurredAt,
  });
}
