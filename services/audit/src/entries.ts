import { auditEventSchema } from '@tracking/contracts';
import { PoisonMessageError, type EventEnvelope, type Keyring } from '@tracking/kit';

import { entryHash, GENESIS_HASH, type ChainFields } from './chain';
import { dataSubjectOf, seal, sealingKeyrings } from './personal';
import type { Prisma } from './generated/prisma/client';

type Tx = Prisma.TransactionClient;

/** Advisory lock key for "appending to the audit chain" (transaction-scoped). */
const CHAIN_LOCK_KEY = 0x617564697463; // "auditc"

/** The body of an audit event, or a PoisonMessageError: an event we cannot read is kept in the DLQ for a human, not guessed at. */
function auditDataOf(event: EventEnvelope) {
  const parsed = auditEventSchema.safeParse(event.data);
  if (!parsed.success) {
    throw new PoisonMessageError(
      `invalid audit event: ${parsed.error.issues.map((issue) => issue.path.join('.')).join(', ')}`,
    );
  }
  return parsed.data;
}

/**
 * Appends audit events to the chain, in the order given. Runs inside the consumer's
 * transaction, which has already recorded the event ids, so a redelivered event never appends
 * twice. The advisory lock serialises appenders, so each entry links to the one committed just
 * before it even if two run at once (say, during a consumer-group rebalance). A batch takes the
 * lock and reads the head once, and inserts its entries with one statement.
 */
export async function appendEntries(
  tx: Tx,
  events: EventEnvelope[],
  kek: Keyring,
): Promise<{ sequence: bigint; hash: string }[]> {
  // Every event is checked before anything is written: one poison event fails the whole batch.
  const bodies = events.map((event) => ({ event, data: auditDataOf(event) }));
  if (bodies.length === 0) return [];
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${CHAIN_LOCK_KEY})`;
  const last = await tx.auditEntry.findFirst({
    orderBy: { sequence: 'desc' },
    select: { sequence: true, hash: true },
  });
  let prevHash = last?.hash ?? GENESIS_HASH;
  let sequence = last?.sequence ?? 0n;
  const people = bodies.map(({ event, data }) => {
    const actorUserId = event.actor.userId?.toLowerCase() ?? null;
    return {
      actorUserId,
      subject: dataSubjectOf({ actorUserId, subjectType: data.subject.type, subjectId: data.subject.id }),
      hasPersonal: data.sourceIp !== null || data.userAgent !== null,
    };
  });
  // The keys of everyone with personal data in the batch, in one read; null once erased.
  const keyrings = await sealingKeyrings(
    tx,
    kek,
    people.filter((person) => person.hasPersonal).map((person) => person.subject),
  );
  const rows: (ChainFields & { prevHash: string; hash: string })[] = [];
  for (const [index, { event, data }] of bodies.entries()) {
    const eventId = event.id.toLowerCase();
    const { actorUserId, subject } = people[index] ?? { actorUserId: null, subject: '' };
    const keyring = keyrings.get(subject) ?? null;
    sequence += 1n;
    const fields: ChainFields = {
      sequence,
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
    rows.push({ ...fields, prevHash, hash });
    prevHash = hash;
  }
  // One statement: each column as one array parameter, unnested by the server.
  const column = <T>(pick: (row: (typeof rows)[number]) => T) => rows.map(pick);
  await tx.$executeRaw`INSERT INTO audit_entry (sequence, event_id, occurred_at, recorded_at, actor_service,
      actor_user_id, actor_role, action, subject_type, subject_id, tenant, outcome, source_ip, user_agent,
      correlation_id, prev_hash, hash)
    SELECT * FROM unnest(${column((row) => row.sequence.toString())}::bigint[], ${column((row) => row.eventId)}::uuid[],
      ${column((row) => row.occurredAt.toISOString())}::timestamptz[], ${column((row) => row.recordedAt.toISOString())}::timestamptz[],
      ${column((row) => row.actorService)}::text[], ${column((row) => row.actorUserId)}::uuid[],
      ${column((row) => row.actorRole)}::text[], ${column((row) => row.action)}::text[],
      ${column((row) => row.subjectType)}::text[], ${column((row) => row.subjectId)}::text[],
      ${column((row) => row.tenant)}::text[], ${column((row) => row.outcome)}::text[],
      ${column((row) => row.sourceIp)}::text[], ${column((row) => row.userAgent)}::text[],
      ${column((row) => row.correlationId)}::text[], ${column((row) => row.prevHash)}::text[],
      ${column((row) => row.hash)}::text[])`;
  return rows.map((row) => ({ sequence: row.sequence, hash: row.hash }));
}

/** Appends one audit event to the chain (see appendEntries). */
export async function appendEntry(
  tx: Tx,
  event: EventEnvelope,
  kek: Keyring,
): Promise<{ sequence: bigint; hash: string }> {
  const [appended] = await appendEntries(tx, [event], kek);
  if (!appended) throw new Error('the audit event was not appended');
  return appended;
}
