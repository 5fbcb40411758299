import { createHash } from 'node:crypto';

import canonicalize from 'canonicalize';

/**
 * The audit hash chain, specified in docs/audit-chain.md so anyone can recompute it. The audit
 * service appends with it, and the backup service's restore drills verify restored logs with it:
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

/** An entry as stored: its fields, the hash it links to and its own hash. */
export type ChainEntry = ChainFields & { prevHash: string; hash: string };

export type ChainBreak = 'missing_entry' | 'prev_hash_mismatch' | 'hash_mismatch';

export interface ChainWalk {
  intact: boolean;
  entriesChecked: number;
  /** The last sequence whose link and hash check out (the one before `from` when none do). */
  verifiedThrough: bigint;
  /** The hash at `verifiedThrough`: compare it with a head published outside the database. */
  headHash: string;
  firstBroken?: { sequence: bigint; reason: ChainBreak };
}

/**
 * Recomputes the chain in sequence order from `from`, whose predecessor's hash is `prevHash`
 * (GENESIS_HASH from the first entry), reading pages of at most `pageSize` entries with
 * sequence >= the one asked for, and stops at the first broken link. The audit service walks
 * its live log with it, the backup service's drills a restored one.
 */
export async function walkChain(
  readPage: (fromSequence: bigint, limit: number) => Promise<ChainEntry[]>,
  start: { from: bigint; prevHash: string } = { from: 1n, prevHash: GENESIS_HASH },
  pageSize = 5_000,
): Promise<ChainWalk> {
  let prevHash = start.prevHash;
  let expected = start.from;
  let checked = 0;
  for (;;) {
    const page = await readPage(expected, pageSize);
    for (const entry of page) {
      const broken = (reason: ChainBreak, sequence = entry.sequence): ChainWalk => ({
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
