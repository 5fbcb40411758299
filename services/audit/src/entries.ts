import {
  auditEventSchema,
  PoisonMessageError,
  ValidationError,
  type EventEnvelope,
  type Keyring,
} from '@tracking/kit';
import { z } from 'zod';

import { entryHash, GENESIS_HASH, type ChainFields } from './chain';
import type { PrismaClient } from './db';
import { dataSubjectOf, open, readSubjectKey, seal, sealingKeyring } from './personal';
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

const MAX_BIGINT = 2n ** 63n - 1n;

const listSchema = z.object({
  /** Empty lists every entry. */
  correlationId: z.string().max(128),
  pageSize: z.number().int().min(0).max(500),
  // A sequence number we issued: digits within PostgreSQL's bigint, so a forged token is a 400, not a 500.
  pageToken: z
    .string()
    .refine((token) => /^\d{0,19}$/.test(token) && (token === '' || BigInt(token) <= MAX_BIGINT), {
      message: 'is not a page token from this service',
    }),
});

export async function listEntries(prisma: PrismaClient, kek: Keyring, query: z.input<typeof listSchema>) {
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
  // Each subject's key is read once per page; an erased subject's fields come back null.
  const keys = new Map<string, Awaited<ReturnType<typeof readSubjectKey>>>();
  const withPersonal = [];
  for (const entry of page) {
    const subject = dataSubjectOf(entry);
    if (!keys.has(subject)) keys.set(subject, await readSubjectKey(prisma, kek, subject));
    const keyring = keys.get(subject);
    withPersonal.push({
      ...entry,
      personal: {
        sourceIp: open(keyring, entry.eventId, 'sourceIp', entry.sourceIp),
        userAgent: open(keyring, entry.eventId, 'userAgent', entry.userAgent),
      },
    });
  }
  return { entries: withPersonal, nextPageToken: next };
}
