import { newEvent, type Keyring, type SqlExecutor } from '@tracking/kit';
import { toCsv, type ExportFile } from '@tracking/kit/privacy';
import { z } from 'zod';

import { appendEntry } from './entries';
import type { AuditEntry, Prisma } from './generated/prisma/client';
import { dataSubjectOf, open, readSubjectKey } from './personal';

type Tx = Prisma.TransactionClient;

/**
 * The audit log's part in the privacy sagas (docs/privacy.md, #22).
 *
 * Export: every entry the person made (actor) or that is about them (subject type `user`), with
 * its personal fields opened where they are the person's own. An entry about them made by
 * somebody else (an admin who searched for them, say) shows that it happened, but not the
 * other person's address or browser: those are sealed under the other person's key, not theirs.
 *
 * Erasure: their key is crypto-shredded by privacy_erase_subject (migrations/005), so every
 * entry stays in the chain and verifies, and the erasure is itself recorded, once.
 */

/** An entry as the table names its columns (docs/data-inventory.yaml), personal fields opened. */
export type ExportedEntry = Record<
  | 'sequence'
  | 'event_id'
  | 'occurred_at'
  | 'recorded_at'
  | 'actor_service'
  | 'actor_user_id'
  | 'actor_role'
  | 'action'
  | 'subject_type'
  | 'subject_id'
  | 'tenant'
  | 'outcome'
  | 'source_ip'
  | 'user_agent'
  | 'correlation_id'
  | 'prev_hash'
  | 'hash',
  string | null
>;

function exported(
  entry: AuditEntry,
  personal: { sourceIp: string | null; userAgent: string | null },
): ExportedEntry {
  return {
    sequence: entry.sequence.toString(),
    event_id: entry.eventId,
    occurred_at: entry.occurredAt.toISOString(),
    recorded_at: entry.recordedAt.toISOString(),
    actor_service: entry.actorService,
    actor_user_id: entry.actorUserId,
    actor_role: entry.actorRole,
    action: entry.action,
    subject_type: entry.subjectType,
    subject_id: entry.subjectId,
    tenant: entry.tenant,
    outcome: entry.outcome,
    source_ip: personal.sourceIp,
    user_agent: personal.userAgent,
    correlation_id: entry.correlationId,
    prev_hash: entry.prevHash,
    hash: entry.hash,
  };
}

/** The subject's entries, by sequence. */
export async function exportSubject(
  db: Pick<Tx, 'auditEntry' | '$queryRaw'>,
  kek: Keyring,
  subjectId: string,
): Promise<{ audit_entry: ExportedEntry[] }> {
  const id = z.uuid().parse(subjectId).toLowerCase();
  const entries = await db.auditEntry.findMany({
    where: { OR: [{ actorUserId: id }, { subjectType: 'user', subjectId: id }] },
    orderBy: { sequence: 'asc' },
  });
  const key = await readSubjectKey(db, kek, id);
  return {
    audit_entry: entries.map((entry) =>
      exported(
        entry,
        dataSubjectOf(entry) === id
          ? {
              sourceIp: open(key, entry.eventId, 'sourceIp', entry.sourceIp),
              userAgent: open(key, entry.eventId, 'userAgent', entry.userAgent),
            }
          : { sourceIp: null, userAgent: null },
      ),
    ),
  };
}

/** The export's files: `audit.json`, and `audit_entry.csv` when there are entries. */
export function exportFiles(part: { audit_entry: ExportedEntry[] }): {
  files: ExportFile[];
  counts: Record<string, number>;
} {
  const files: ExportFile[] = [{ name: 'audit.json', content: JSON.stringify(part, null, 2) }];
  const [first] = part.audit_entry;
  if (first) {
    const columns = Object.keys(first) as (keyof ExportedEntry)[];
    files.push({ name: 'audit_entry.csv', content: toCsv(columns, part.audit_entry) });
  }
  return { files, counts: { audit_entry: part.audit_entry.length } };
}

const countsSchema = z.record(z.string(), z.number().int().nonnegative());

/**
 * Crypto-shreds `subjectId` in the caller's transaction and, the first time, records
 * `audit.subject.erased` for them with the privacy service as the actor. Idempotent: a second
 * call destroys nothing, records nothing and answers zeros.
 */
export async function eraseSubject(
  tx: Tx,
  sql: SqlExecutor,
  kek: Keyring,
  subjectId: string,
): Promise<Record<string, number>> {
  const id = z.uuid().parse(subjectId).toLowerCase();
  const [row] = await sql.query<{ counts: unknown }>('SELECT privacy_erase_subject($1::uuid) AS counts', [
    id,
  ]);
  const counts = countsSchema.parse(row?.counts);
  if (counts.subject_key) {
    await appendEntry(
      tx,
      newEvent({
        type: 'audit.recorded',
        actor: { service: 'privacy', userId: null, role: null },
        data: {
          action: 'audit.subject.erased',
          subject: { type: 'user', id },
          outcome: 'success',
          sourceIp: null,
          userAgent: null,
        },
      }),
      kek,
    );
  }
  return counts;
}
