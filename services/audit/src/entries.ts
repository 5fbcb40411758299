import { auditEventSchema, PoisonMessageError, ValidationError, type EventEnvelope } from '@tracking/kit';
import { z } from 'zod';

import type { PrismaClient } from './db';
import type { Prisma } from './generated/prisma/client';

type Tx = Prisma.TransactionClient;

/**
 * Appends one audit event to the log. Runs inside the consumer's transaction, which has
 * already recorded the event id, so a redelivered event never appends twice.
 */
export async function appendEntry(tx: Tx, event: EventEnvelope): Promise<{ sequence: bigint }> {
  const parsed = auditEventSchema.safeParse(event.data);
  if (!parsed.success) {
    // An audit event we cannot read is kept in the DLQ for a human, not guessed at.
    throw new PoisonMessageError(
      `invalid audit event: ${parsed.error.issues.map((issue) => issue.path.join('.')).join(', ')}`,
    );
  }
  const data = parsed.data;
  const entry = await tx.auditEntry.create({
    data: {
      eventId: event.id,
      occurredAt: new Date(event.occurredAt),
      actorService: event.actor.service,
      actorUserId: event.actor.userId,
      actorRole: event.actor.role,
      action: data.action,
      subjectType: data.subject.type,
      subjectId: data.subject.id,
      tenant: event.tenant,
      outcome: data.outcome,
      sourceIp: data.sourceIp,
      userAgent: data.userAgent,
      correlationId: event.correlationId,
    },
    select: { sequence: true },
  });
  return entry;
}

const listSchema = z.object({
  correlationId: z.string().min(1, { message: 'is required' }).max(128),
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
    where: { correlationId: parsed.data.correlationId, sequence: { gt: after } },
    orderBy: { sequence: 'asc' },
    take: pageSize + 1,
  });
  const page = entries.slice(0, pageSize);
  const next = entries.length > pageSize ? (page[page.length - 1]?.sequence.toString() ?? '') : '';
  return { entries: page, nextPageToken: next };
}
