import { auditEventSchema, PoisonMessageError, ValidationError, type EventEnvelope } from '@tracking/kit';
import { z } from 'zod';

import { entryHash, GENESIS_HASH, type ChainFields } from './chain';
import type { PrismaClient } from './db';
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
export async function appendEntry(tx: Tx, event: EventEnvelope): Promise<{ sequence: bigint; hash: string }> {
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
  const fields: ChainFields = {
    sequence: (last?.sequence ?? 0n) + 1n,
    // Stored as the database will give them back (uuid columns read back lower-case), so the
    // hash recomputes from what is stored.
    eventId: event.id.toLowerCase(),
    occurredAt: new Date(event.occurredAt),
    recordedAt: new Date(),
    actorService: event.actor.service,
    actorUserId: event.actor.userId?.toLowerCase() ?? null,
    actorRole: event.actor.role,
    action: data.action,
    subjectType: data.subject.type,
    subjectId: data.subject.id,
    tenant: event.tenant,
    outcome: data.outcome,
    sourceIp: data.sourceIp,
    userAgent: data.userAgent,
    correlationId: event.correlationId,
  };
  const hash = entryHash(prevHash, fields);
  await tx.auditEntry.create({ data: { ...fields, prevHash, hash }, select: { sequence: true } });
  return { sequence: fields.sequence, hash };
}

const listSchema = z.object({
  /** Empty lists every entry. */
  correlationId: z.string().max(128),
  pageSize: z.number().int().min(0).max(500),
  pageToken: z.string().regex(/^\d*$/, { message: 'is not a page token from this service' }),
});

export async function listEntries(prisma: PrismaClient, query: z.input<typeof listSchema>) {
  const parsed = listSchema.safeParse(query);
  if (!parsed.success) {
    throw new ValidationError(
      'invalid query',
      Object.fromEntries(parsed.error.issues.map((issue) => [issue.path.join('.'), issue.message])),
    );
  }
  const pageSize = parsed.data.pageSize || 100;
  const after = parsed.data.pageToken ? BigInt(parsed.data.pageToken) : 0n;
  const entries = await prisma.auditEntry.findMany({
    where: {
      ...(parsed.data.correlationId ? { correlationId: parsed.data.correlationId } : {}),
      sequence: { gt: after },
    },
    orderBy: { sequence: 'asc' },
    take: pageSize + 1,
  });
  const page = entries.slice(0, pageSize);
  const next = entries.length > pageSize ? (page[page.length - 1]?.sequence.toString() ?? '') : '';
  return { entries: page, nextPageToken: next };
}
