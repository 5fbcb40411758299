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
