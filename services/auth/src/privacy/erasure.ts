import { TOPICS } from '@tracking/contracts';
import type { StepCounts } from '@tracking/kit/privacy';
import { z } from 'zod';

import { emit } from '../changes';
import type { Deps, Tx } from '../deps';
import { notify } from '../notify';
import { revokeSessions } from '../sessions';

const countsSchema = z.record(z.string(), z.number().int().nonnegative());

/**
 * The erasure saga's last step (phase 2, after every other service has erased the person): the
 * account goes, and with it everything auth holds about them, in the caller's transaction
 * (the privacy participant's, which also records the request as processed and answers it):
 *
 * - the address is read first, because the last mail ("your account has been deleted") goes to
 *   it and nothing else will know it afterwards;
 * - `privacy_erase_subject` (migrations/006) deletes the account, its sessions, second factor,
 *   recovery codes, links, devices and privacy choices, and frees the address;
 * - the mail request and the audit entry go into the outbox in the same transaction, so the
 *   person is told exactly when the deletion committed.
 *
 * A redelivery finds no account: the function erases nothing, no second mail is asked for, and
 * the step is answered completed again.
 */
export async function eraseAccount(
  deps: Pick<Deps, 'clock' | 'log'>,
  tx: Tx,
  subjectId: string,
): Promise<StepCounts> {
  const id = z.uuid().parse(subjectId);
  const [account] = await tx.$queryRaw<
    { email: string }[]
  >`SELECT email FROM users WHERE id = ${id}::uuid FOR UPDATE`;
  // ERASE_SUBJECT_FUNCTION: the same function a restore re-applies from the erasure ledger.
  const [result] = await tx.$queryRaw<
    { counts: unknown }[]
  >`SELECT privacy_erase_subject(${id}::uuid) AS counts`;
  const counts = countsSchema.parse(result?.counts);
  if (!account) {
    deps.log.info({ event: 'auth.user.erasure_repeated', userId: id }, 'no account left to erase');
    return counts;
  }
  const now = deps.clock();
  await notify(
    tx,
    'account_deletion_completed',
    { email: account.email },
    { completedAt: now.toISOString() },
    now,
  );
  await emit(tx, {
    topic: TOPICS.authUser,
    type: 'auth.user.erased',
    actor: { userId: null, role: null },
    subject: { type: 'user', id },
    outcome: 'success',
    data: { counts },
    occurredAt: now,
  });
  deps.log.info({ event: 'auth.user.erased', userId: id }, 'account erased');
  return counts;
}

/**
 * Phase 1 of the erasure, which goes to every other service: auth does not answer it, but from
 * this moment the person cannot use the account. Every session ends and sign-in is refused
 * (login.ts), so nothing new is written to a service that has already erased them, until phase 2
 * deletes the account. Idempotent: a second delivery changes nothing and records nothing.
 */
export async function beginErasure(
  deps: Deps,
  tx: Tx,
  subjectId: string,
  erasingSince: string,
): Promise<void> {
  const id = z.uuid().parse(subjectId);
  const { count } = await tx.user.updateMany({
    where: { id, erasingSince: null },
    data: { erasingSince: new Date(erasingSince) },
  });
  if (count === 0) return;
  const now = deps.clock();
  const revoked = await revokeSessions(deps, tx, id, 'account_erasing');
  await emit(tx, {
    topic: TOPICS.authUser,
    type: 'auth.user.erasure_started',
    actor: { userId: null, role: null },
    subject: { type: 'user', id },
    outcome: 'success',
    data: { sessionsRevoked: revoked },
    occurredAt: now,
  });
  deps.log.info(
    { event: 'auth.user.erasure_started', userId: id, sessionsRevoked: revoked },
    'account erasure began',
  );
}
