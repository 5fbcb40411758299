import { entryHash, GENESIS_HASH } from '@tracking/kit';

import type { PrismaClient } from './db';

// The chain's definition is the kit's (packages/kit/src/audit-chain.ts), shared with the backup
// service's restore drills; the audit service appends with it and verifies with verifyChain.
export { canonicalEntry, entryHash, GENESIS_HASH, type ChainFields } from '@tracking/kit';

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
