import { TOPICS } from '@tracking/contracts';
import { UnauthenticatedError, ValidationError } from '@tracking/kit';
import { z } from 'zod';

import { emit } from '../changes';
import type { Deps } from '../deps';
import { reauthenticate } from '../login';
import { consumeTotp } from '../mfa';
import type { ValidSession } from '../sessions';

/** What a re-entered password (and code) may be asked for: the privacy rights' sensitive steps. */
export const CONFIRMATION_PURPOSES = ['data_export', 'data_export_download', 'account_deletion'] as const;
export type ConfirmationPurpose = (typeof CONFIRMATION_PURPOSES)[number];

const confirmSchema = z.object({
  currentPassword: z.string().min(1, 'is required').max(1024),
  code: z.string().max(16),
  purpose: z.enum(CONFIRMATION_PURPOSES, { message: `must be one of ${CONFIRMATION_PURPOSES.join(', ')}` }),
});

/**
 * The caller proves again that they are the account's owner before an export, its download or
 * the account's deletion: the current password, and a current TOTP code when they have enrolled
 * (a recovery code is not enough here). It is a sign-in in all but the session: the same
 * throttle counts the failures (per address and per account, and per second factor), a replayed
 * code is refused and reported as at sign-in, and each refusal is audited with its purpose, so an
 * investigator sees that someone holding a session tried to export or delete an account. Success
 * changes nothing but the code's step (so it cannot be used again).
 */
export async function confirmIdentity(
  deps: Deps,
  caller: ValidSession,
  input: { currentPassword: string; code: string; purpose: string },
): Promise<{ mfaChecked: boolean }> {
  const parsed = confirmSchema.safeParse(input);
  if (!parsed.success) {
    const fields = Object.fromEntries(
      parsed.error.issues.map((issue) => [String(issue.path[0] ?? '(body)'), issue.message]),
    );
    throw new ValidationError('invalid confirmation', fields);
  }
  const { currentPassword, code, purpose } = parsed.data;
  if (caller.mfaEnabled && !code) {
    throw new ValidationError('this account has a second factor', {
      code: 'the current code of your authenticator is required',
    });
  }
  await refusalsAudited(deps, caller, purpose, 'password', () =>
    reauthenticate(deps, caller, currentPassword),
  );
  if (!caller.mfaEnabled) return { mfaChecked: false };
  await refusalsAudited(deps, caller, purpose, 'totp', () => consumeTotp(deps, caller, code));
  return { mfaChecked: true };
}

async function refusalsAudited(
  deps: Deps,
  caller: ValidSession,
  purpose: ConfirmationPurpose,
  factor: 'password' | 'totp',
  check: () => Promise<void>,
): Promise<void> {
  try {
    await check();
  } catch (error) {
    // A throttled attempt never reached the check; the throttle reports its own pauses.
    if (!(error instanceof UnauthenticatedError)) throw error;
    await deps.prisma.$transaction((tx) =>
      emit(tx, {
        topic: TOPICS.authSession,
        type: 'auth.identity.confirmation_failed',
        actor: caller,
        subject: { type: 'user', id: caller.userId },
        outcome: 'failure',
        data: { purpose, factor, sessionId: caller.sessionId },
        occurredAt: deps.clock(),
      }),
    );
    throw error;
  }
}
