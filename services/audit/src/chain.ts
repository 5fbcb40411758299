import { GENESIS_HASH, walkChain, type ChainBreak, type ChainWalk } from '@tracking/contracts';

import type { PrismaClient } from './db';

// The chain's definition is a contract (packages/contracts/src/audit-chain.ts), shared with the
// backup service's restore drills; the audit service appends with it and verifies with verifyChain.
export { canonicalEntry, entryHash, GENESIS_HASH, type ChainFields } from '@tracking/contracts';

export type BreakReason = ChainBreak;
export type Verification = ChainWalk;

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
  return walkChain(
    (sequence, limit) =>
      prisma.auditEntry.findMany({
        where: { sequence: { gte: sequence } },
        orderBy: { sequence: 'asc' },
        take: limit,
      }),
    { from, prevHash },
    options.pageSize,
  );
}
