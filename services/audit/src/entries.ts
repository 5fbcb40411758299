import { auditEventSchema, PoisonMessageError, type EventEnvelope, type Keyring } from '@tracking/kit';

import { entryHash, GENESIS_HASH, type ChainFields } from './chain';
import { dataSubjectOf, seal, sealingKeyring } from './personal';
import type { Prisma } from './generated/prisma/client';

type Tx = Prisma.TransactionClient;

/** Advisory lock key for "appending to the audit chain" (transaction-scoped). */
const CHAIN_LOCK_KEY = 0x617564697463; // "auditc"

/**
 * Appends one audit event to the chain. Runs inside the consumer's transaction, which has
 * already recorded the event id, so a redelivered event never appends twice. The advisory lock
 * serialises appends, so each entry links to the one committed just before it even if two
 * appenders run at once (say, during a consumer-group rebalance).
 */
export async function appendEntry(
  tx: Tx,
  event: EventEnvelope,
  kek: Keyring,
): Promise<{ sequence: bigint; hash: string }> {
  const parsed = auditEventSchema.safeParse(event.data);
  if (!parsed.success) {
    // An audit event we cannot read is kept in the DLQ for a human, not guessed at.
    throw new PoisonMessageError(
      `invalid audit event: ${parsed.error.issues.map((issue) => issue.path.join('.')).join(', ')}`,
    );
  }
  const data = parsed.data;
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${CHAIN_LOCK_KEY})`;
  const last = await tx.auditEntry.findFirst({
    orderBy: { sequence: 'desc' },
    select: { sequence: true, hash: true },
  });
  const prevHash = last?.hash ?? GENESIS_HASH;
  const eventId = event.id.toLowerCase();
  const actorUserId = event.actor.userId?.toLowerCase() ?? null;
  const hasPersonal = data.sourceIp !== null || data.userAgent !== null;
  const subject = dataSubjectOf({ actorUserId, subjectType: data.subject.type, subjectId: data.subject.id });
  const keyring = hasPersonal ? await sealingKeyring(tx, kek, subject) : null;
  const fields: ChainFields = {
    sequence: (last?.sequence ?? 0n) + 1n,
    // Stored as the database will give them back (uuid columns read back lower-case), so the
    // hash recomputes from what is stored.
    eventId,
    occurredAt: new Date(event.occurredAt),
    recordedAt: new Date(),
    actorService: event.actor.service,
    actorUserId,
    actorRole: event.actor.role,
    action: data.action,
    subjectType: data.subject.type,
    subjectId: data.subject.id,
    tenant: event.tenant,
    outcome: data.outcome,
    // Sealed under the data subject's key; not stored at all once that subject is erased.
    sourceIp: keyring ? seal(keyring, eventId, 'sourceIp', data.sourceIp) : null,
    userAgent: keyring ? seal(keyring, eventId, 'userAgent', data.userAgent) : null,
    correlationId: event.correlationId,
  };
  const hash = entryHash(prevHash, fields);
  await tx.auditEntry.create({ data: { ...fields, prevHash, hash }, select: { sequence: true } });
  return { sequence: fields.sequence, hash };
}
