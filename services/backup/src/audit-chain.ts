import { createHash } from 'node:crypto';

import type pg from 'pg';

/**
 * An independent check of a restored audit log's hash chain, recomputed from docs/audit-chain.md
 * alone (the audit service's own code lives in another deployable and brings its Prisma client):
 *
 *   hash(n) = hex(SHA-256(hexdecode(prev_hash(n)) ‖ UTF-8(JCS(entry(n))))),  prev_hash(1) = 64 zeros
 *
 * The entry has only strings, nulls, the number 1 and nested objects, for which RFC 8785 is
 * keys sorted by UTF-16 code units and ECMAScript's JSON.stringify for each value.
 */
export const GENESIS_HASH = '0'.repeat(64);

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const record = value as Record<string, unknown>;
  return `{${Object.keys(record)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`)
    .join(',')}}`;
}

export interface AuditRow {
  sequence: string;
  event_id: string;
  occurred_at: string;
  recorded_at: string;
  actor_service: string;
  actor_user_id: string | null;
  actor_role: string | null;
  action: string;
  subject_type: string;
  subject_id: string;
  tenant: string | null;
  outcome: string;
  source_ip: string | null;
  user_agent: string | null;
  correlation_id: string;
  prev_hash: string;
  hash: string;
}

export function entryHash(prevHash: string, row: AuditRow): string {
  const entry = {
    v: 1,
    sequence: row.sequence,
    eventId: row.event_id,
    occurredAt: row.occurred_at,
    recordedAt: row.recorded_at,
    actor: { service: row.actor_service, userId: row.actor_user_id, role: row.actor_role },
    action: row.action,
    subject: { type: row.subject_type, id: row.subject_id },
    tenant: row.tenant,
    outcome: row.outcome,
    sourceIp: row.source_ip,
    userAgent: row.user_agent,
    correlationId: row.correlation_id,
  };
  return createHash('sha256')
    .update(Buffer.from(prevHash, 'hex'))
    .update(canonicalJson(entry), 'utf8')
    .digest('hex');
}

export type ChainVerification =
  | { intact: true; entries: number; head: { sequence: string; hash: string } | null }
  | {
      intact: false;
      entries: number;
      brokenAt: string;
      reason: 'missing_entry' | 'prev_hash_mismatch' | 'hash_mismatch';
    };

const MILLIS = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

/** Walks the whole chain in pages, in sequence order, and stops at the first broken link. */
export async function verifyAuditChain(client: pg.Client, pageSize = 5_000): Promise<ChainVerification> {
  let prevHash = GENESIS_HASH;
  let expected = 1n;
  let entries = 0;
  let head: { sequence: string; hash: string } | null = null;
  for (;;) {
    const { rows } = await client.query<AuditRow>(
      `SELECT sequence::text AS sequence, event_id::text AS event_id,
              to_char(occurred_at AT TIME ZONE 'UTC', ${MILLIS}) AS occurred_at,
              to_char(recorded_at AT TIME ZONE 'UTC', ${MILLIS}) AS recorded_at,
              actor_service, actor_user_id::text AS actor_user_id, actor_role, action, subject_type,
              subject_id, tenant, outcome, source_ip, user_agent, correlation_id, prev_hash, hash
         FROM audit_entry WHERE audit_entry.sequence >= $1 ORDER BY audit_entry.sequence LIMIT $2`,
      [expected.toString(), pageSize],
    );
    for (const row of rows) {
      const sequence = BigInt(row.sequence);
      if (sequence !== expected) {
        return { intact: false, entries, brokenAt: expected.toString(), reason: 'missing_entry' };
      }
      if (row.prev_hash !== prevHash) {
        return { intact: false, entries, brokenAt: row.sequence, reason: 'prev_hash_mismatch' };
      }
      if (entryHash(prevHash, row) !== row.hash) {
        return { intact: false, entries, brokenAt: row.sequence, reason: 'hash_mismatch' };
      }
      prevHash = row.hash;
      head = { sequence: row.sequence, hash: row.hash };
      expected++;
      entries++;
    }
    if (rows.length < pageSize) return { intact: true, entries, head };
  }
}
