import { randomUUID } from 'node:crypto';

import { ValidationError } from '@tracking/kit';

import type { Deps, Tx } from './deps';
import { isTokenShaped, newSecretToken, tokenDigest } from './tokens';

export type EmailPurpose = 'verify_email' | 'change_email' | 'reset_password' | 'report_email_change';

/** How long each kind of emailed link works. */
export const TOKEN_TTL_MS: Record<EmailPurpose, number> = {
  verify_email: 24 * 3600_000,
  change_email: 3600_000,
  reset_password: 30 * 60_000,
  // Long enough to read a notice after a weekend away.
  report_email_change: 7 * 24 * 3600_000,
};

export interface IssuedToken {
  token: string;
  expiresAt: Date;
}

export async function issueEmailToken(
  deps: Deps,
  tx: Tx,
  userId: string,
  purpose: EmailPurpose,
  emails: { newEmail?: string; oldEmail?: string } = {},
): Promise<IssuedToken> {
  const now = deps.clock();
  const { token, digest } = newSecretToken();
  const expiresAt = new Date(now.getTime() + TOKEN_TTL_MS[purpose]);
  await tx.emailToken.create({
    data: {
      id: randomUUID(),
      userId,
      purpose,
      tokenHash: digest,
      newEmail: emails.newEmail ?? null,
      oldEmail: emails.oldEmail ?? null,
      createdAt: now,
      expiresAt,
    },
  });
  return { token, expiresAt };
}

/**
 * Makes every live link of these kinds worthless: after a password change or reset nothing
 * an earlier holder of the password asked for (an email change, another reset) still works.
 */
export async function revokeLiveTokens(
  deps: Deps,
  tx: Tx,
  userId: string,
  purposes: EmailPurpose[],
): Promise<number> {
  const { count } = await tx.emailToken.updateMany({
    where: { userId, purpose: { in: purposes }, usedAt: null, revokedAt: null },
    data: { revokedAt: deps.clock() },
  });
  return count;
}

/** Consumes a single-use link, atomically: of two concurrent uses, one wins. */
export async function consumeEmailToken(deps: Deps, tx: Tx, token: string, purposes: EmailPurpose[]) {
  const invalid = () =>
    new ValidationError('the link is invalid or has expired', { token: 'invalid or expired' });
  if (!isTokenShaped(token)) throw invalid();
  const now = deps.clock();
  const row = await tx.emailToken.findUnique({ where: { tokenHash: tokenDigest(token) } });
  if (!row || !purposes.includes(row.purpose as EmailPurpose)) throw invalid();
  const { count } = await tx.emailToken.updateMany({
    where: { id: row.id, usedAt: null, revokedAt: null, expiresAt: { gt: now } },
    data: { usedAt: now },
  });
  if (count !== 1) throw invalid();
  return {
    userId: row.userId,
    purpose: row.purpose as EmailPurpose,
    newEmail: row.newEmail,
    oldEmail: row.oldEmail,
  };
}
