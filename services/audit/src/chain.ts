import { createHash } from 'node:crypto';

import canonicalize from 'canonicalize';

import type { PrismaClient } from './db';

/**
 * The audit hash chain, specified in docs/audit-chain.md so anyone can recompute it:
 *
 *   hash(n) = hex(SHA-256(bytes(prev_hash) ‖ UTF-8(JCS(entry(n)))))
 *
 * where prev_hash is hash(n-1) (64 zeros for the first entry), bytes() decodes hex, JCS is RFC
 * 8785 JSON canonicalisation, and entry(n) is the object built by `canonicalEntry`.
 */
export const GENESIS_HASH = '0'.repeat(64);

export interface ChainFields {
  sequence: bigint;
  eventId: string;
  occurredAt: Date;
  recordedAt: Date;
  actorService: string;
  actorUserId: string | null;
  actorRole: string | null;
  action: string;
  subjectType: string;
  subjectId: string;
  tenant: string | null;
  outcome: string;
  sourceIp: string | null;
  userAgent: string | null;
  correlationId: string;
}

/** The canonical encoding of one entry: version 1 of the layout in docs/audit-chain.md. */
export function canonicalEntry(entry: ChainFields): string {
  const encoded = canonicalize({
    v: 1,
    sequence: entry.sequence.toString(),
    eventId: entry.eventId,
    occurredAt: entry.occurredAt.toISOString(),
    recordedAt: entry.recordedAt.toISOString(),
    actor: { service: entry.actorService, userId: entry.actorUserId, role: entry.actorRole },
    action: entry.action,
    subject: { type: entry.subjectType, id: entry.subjectId },
    tenant: entry.tenant,
    outcome: entry.outcome,
    sourceIp: entry.sourceIp,
    userAgent: entry.userAgent,
    correlationId: entry.correlationId,
  });
  if (encoded === undefined) throw new Error('audit entry has no canonical encoding');
  return encoded;
}

export function entryHash(prevHash: string, entry: ChainFields): string {
  return createHash('sha256')
    .update(Buffer.from(prevHash, 'hex'))
    .update(canonicalEntry(entry), 'utf8')
    .digest('hex');
}

export type BreakReason = 'missing_entry' | 'prev_hash_mismatch' | 'hash_mismatch';

export interface Verification {
  intact: boolean;
  entriesChecked: number;
  /** The last sequence whose link and hash check out (0 when none do). */
  verifiedThrough: bigint;
  /** The hash at `verifiedThrough`: compare it with a head published outside the database. */
  headHash: string;
  firstBroken?: { sequence: bigint; reason: BreakReason };
}

/**
 * Recomputes the chain in sequence order, from the first entry or from `fromSequence` (trusting
 * the stored hash just before it as a checkpoint), and stops at the first broken link. It only
 * reads, in pages, so it runs as the service's read role on a chain of any length.
 */
export async function verifyChain(
  prisma: PrismaClient,
  options: { fromSequence?: bigint; pageSize?: number } = {},
): Promise<Verification> {
  const from = options.fromSequence && options.fromSequence > 1n ? options.fromSequence : 1n;
  const pageSize = options.pageSize ?? 5_000;
  let prevHash = GENESIS_HASH;
  if (from > 1n) {
    const checkpoint = await prisma.auditEntry.findUnique({
      where: { sequence: from - 1n },
      select: { hash: true },
    });
    if (!checkpoint)
      return {
        intact: false,
        entriesChecked: 0,
        verifiedThrough: 0n,
        headHash: GENESIS_HASH,
        firstBroken: { sequence: from - 1n, reason: 'missing_entry' },
      };
    prevHash = checkpoint.hash;
  }
  let expected = from;
  let checked = 0;
  for (;;) {
    const page = await prisma.auditEntry.findMany({
      where: { sequence: { gte: expected } },
      orderBy: { sequence: 'asc' },
      take: pageSize,
    });
    for (const entry of page) {
      const broken = (reason: BreakReason, sequence = entry.sequence): Verification => ({
        intact: false,
        entriesChecked: checked,
        verifiedThrough: expected - 1n,
        headHash: prevHash,
        firstBroken: { sequence, reason },
      });
      if (entry.sequence !== expected) return broken('missing_entry', expected);
      if (entry.prevHash !== prevHash) return broken('prev_hash_mismatch');
      if (entryHash(prevHash, entry) !== entry.hash) return broken('hash_mismatch');
      prevHash = entry.hash;
      expected++;
      checked++;
    }
    if (page.length < pageSize) break;
  }
  return { intact: true, entriesChecked: checked, verifiedThrough: expected - 1n, headHash: prevHash };
}
