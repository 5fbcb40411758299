import { walkChain, type ChainBreak, type ChainEntry } from '@tracking/contracts';
import type pg from 'pg';

/**
 * The check of a restored audit log's hash chain: the chain as docs/audit-chain.md defines it,
 * walked over the restored rows by the kit's walkChain, the same walk the audit service runs.
 */
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

/** A row as the query below reads it, as a stored chain entry. */
function chainEntry(row: AuditRow): ChainEntry {
  return {
    sequence: BigInt(row.sequence),
    eventId: row.event_id,
    occurredAt: new Date(row.occurred_at),
    recordedAt: new Date(row.recorded_at),
    actorService: row.actor_service,
    actorUserId: row.actor_user_id,
    actorRole: row.actor_role,
    action: row.action,
    subjectType: row.subject_type,
    subjectId: row.subject_id,
    tenant: row.tenant,
    outcome: row.outcome,
    sourceIp: row.source_ip,
    userAgent: row.user_agent,
    correlationId: row.correlation_id,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

export type ChainVerification =
  | { intact: true; entries: number; head: { sequence: string; hash: string } | null }
  | { intact: false; entries: number; brokenAt: string; reason: ChainBreak };

const MILLIS = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

/** Walks the whole chain in pages, in sequence order, and stops at the first broken link. */
export async function verifyAuditChain(client: pg.Client, pageSize = 5_000): Promise<ChainVerification> {
  const walk = await walkChain(
    async (from, limit) => {
      const { rows } = await client.query<AuditRow>(
        `SELECT sequence::text AS sequence, event_id::text AS event_id,
                to_char(occurred_at AT TIME ZONE 'UTC', ${MILLIS}) AS occurred_at,
                to_char(recorded_at AT TIME ZONE 'UTC', ${MILLIS}) AS recorded_at,
                actor_service, actor_user_id::text AS actor_user_id, actor_role, action, subject_type,
                subject_id, tenant, outcome, source_ip, user_agent, correlation_id, prev_hash, hash
           FROM audit_entry WHERE audit_entry.sequence >= $1 ORDER BY audit_entry.sequence LIMIT $2`,
        [from.toString(), limit],
      );
      return rows.map(chainEntry);
    },
    undefined,
    pageSize,
  );
  if (walk.firstBroken) {
    const { sequence, reason } = walk.firstBroken;
    return { intact: false, entries: walk.entriesChecked, brokenAt: sequence.toString(), reason };
  }
  const head =
    walk.entriesChecked === 0 ? null : { sequence: walk.verifiedThrough.toString(), hash: walk.headHash };
  return { intact: true, entries: walk.entriesChecked, head };
}
