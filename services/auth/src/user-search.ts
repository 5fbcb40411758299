import { createHash } from 'node:crypto';

import { TOPICS, type AuditEvent } from '@tracking/contracts';
import { currentContext, enqueue, newEvent, prismaExecutor, ValidationError } from '@tracking/kit';
import { z } from 'zod';

import type { Deps } from './deps';
import { isRole, type Role } from './rbac';
import type { ValidSession } from './sessions';

/** One account as the admin console lists it: never a secret, a hash or a session. */
export interface UserSummary {
  id: string;
  email: string;
  displayName: string;
  role: Role;
  emailVerified: boolean;
  mfaEnabled: boolean;
  disabled: boolean;
  createdAt: Date;
  plan: string;
}

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 50;

/**
 * What a search's audit entry names: the account for a user id, else a digest of the email
 * prefix as searched (trimmed, lower case), so the audit log holds no address an admin typed. An
 * investigator who has a prefix computes the same digest to find who searched for it.
 */
export function searchSubject(text: string): AuditEvent['subject'] {
  const byId = z.uuid().safeParse(text);
  if (byId.success) return { type: 'user', id: byId.data };
  const digest = createHash('sha256').update(`user-search:${text.toLowerCase()}`, 'utf8').digest('hex');
  return { type: 'user_search', id: digest.slice(0, 40) };
}

/**
 * Admin only (checked by the caller through the permission matrix). A UUID finds that account;
 * anything else is the start of an email address, matched without regard to case. Three
 * characters at least, so the search cannot be used to page through every account. Every search
 * is an audit entry (auth.user.searched, the admin as actor) written before any result is read.
 */
export async function findUsers(
  deps: Deps,
  caller: ValidSession,
  query: string,
  limit: number,
): Promise<UserSummary[]> {
  const text = query.trim();
  const take = Math.min(limit > 0 ? limit : DEFAULT_LIMIT, MAX_LIMIT);
  const byId = z.uuid().safeParse(text);
  if (!byId.success && text.length < 3)
    throw new ValidationError('query too short', { query: 'must be a user id or at least 3 characters' });
  const context = currentContext();
  const subject = searchSubject(text);
  const audit: AuditEvent = {
    action: 'auth.user.searched',
    subject,
    outcome: 'success',
    sourceIp: context?.clientIp ?? null,
    userAgent: context?.userAgent ?? null,
  };
  await enqueue(prismaExecutor(deps.prisma), [
    {
      topic: TOPICS.auditEvents,
      key: caller.userId,
      envelope: newEvent({
        type: 'audit.recorded',
        actor: { service: 'auth', userId: caller.userId, role: caller.role },
        data: audit,
      }),
    },
  ]);
  const users = await deps.prisma.user.findMany({
    where: byId.success
      ? { id: byId.data }
      : // Prisma hands the value to ILIKE as it is: escape its wildcards and the escape itself.
        { email: { startsWith: text.replace(/[\\%_]/g, '\\$&'), mode: 'insensitive' } },
    include: { totp: { select: { confirmedAt: true } } },
    orderBy: { email: 'asc' },
    take,
  });
  return users.map((user) => ({
    id: user.id,
    email: user.email,
    displayName: user.displayName,
    role: isRole(user.role) ? user.role : 'client',
    emailVerified: Boolean(user.emailVerifiedAt),
    mfaEnabled: Boolean(user.totp?.confirmedAt),
    disabled: Boolean(user.disabledAt),
    createdAt: user.createdAt,
    plan: user.plan,
  }));
}
