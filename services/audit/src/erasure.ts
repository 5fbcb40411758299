import {
  currentContext,
  newEvent,
  PermissionDeniedError,
  ValidationError,
  type Actor,
  type Keyring,
} from '@tracking/kit';
import { z } from 'zod';

import type { PrismaClient } from './db';
import { appendEntry } from './entries';
import { destroySubjectKey } from './personal';

const subjectIdSchema = z.string().min(1).max(128);

/**
 * Erases a person from the audit log by destroying their key: their entries stay in the chain
 * and still verify, but their personal fields can never be read again, and none are stored for
 * them from now on. The erasure itself becomes an entry, in the same transaction. Nobody can
 * erase themselves: a person covering their own tracks is exactly what the log must outlast.
 */
export async function eraseSubject(
  prisma: PrismaClient,
  kek: Keyring,
  subjectId: string,
  requestedBy: Actor,
): Promise<{ sequence: bigint; alreadyErased: boolean }> {
  if (!subjectIdSchema.safeParse(subjectId).success) {
    throw new ValidationError('invalid erasure request', { subjectId: 'must be 1 to 128 characters' });
  }
  if (requestedBy.userId !== null && requestedBy.userId.toLowerCase() === subjectId.toLowerCase()) {
    throw new PermissionDeniedError('nobody can erase their own audit data; ask another admin');
  }
  const context = currentContext();
  return prisma.$transaction(async (tx) => {
    const { alreadyErased } = await destroySubjectKey(tx, subjectId);
    const event = newEvent({
      type: 'audit.recorded',
      actor: requestedBy,
      data: {
        action: 'audit.subject.erased',
        subject: { type: 'user', id: subjectId },
        outcome: 'success',
        sourceIp: context?.clientIp ?? null,
        userAgent: context?.userAgent ?? null,
      },
    });
    const { sequence } = await appendEntry(tx, event, kek);
    return { sequence, alreadyErased };
  });
}
