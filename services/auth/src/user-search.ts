import { ValidationError } from '@tracking/kit';
import { z } from 'zod';

import type { Deps } from './deps';
import { isRole, type Role } from './rbac';

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
 * Admin only (checked by the caller through the permission matrix). A UUID finds that account;
 * anything else is the start of an email address, matched without regard to case. Three
 * characters at least, so the search cannot be used to page through every account.
 */
export async function findUsers(deps: Deps, query: string, limit: number): Promise<UserSummary[]> {
  const text = query.trim();
  const take = Math.min(limit > 0 ? limit : DEFAULT_LIMIT, MAX_LIMIT);
  const byId = z.uuid().safeParse(text);
  if (!byId.success && text.length < 3)
    throw new ValidationError('query too short', { query: 'must be a user id or at least 3 characters' });
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
