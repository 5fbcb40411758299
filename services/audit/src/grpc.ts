import { serverStream, unary, ValidationError } from '@tracking/kit';
import type { AuditEntry, AuditServiceServer } from '@tracking/proto/tracking/audit/v1/audit';
import { z } from 'zod';

import { authorizeCaller } from './access';
import { verifyOnRequest } from './attest';
import type { Deps } from './deps';
import { eraseSubject } from './erasure';
import { exportEntries, listEntries, parseExport, recordRead, type ReadableEntry } from './query';

function toProto(entry: ReadableEntry): AuditEntry {
  return {
    sequence: entry.sequence.toString(),
    eventId: entry.eventId,
    action: entry.action,
    actorService: entry.actorService,
    actorUserId: entry.actorUserId ?? '',
    actorRole: entry.actorRole ?? '',
    subjectType: entry.subjectType,
    subjectId: entry.subjectId,
    tenant: entry.tenant ?? '',
    outcome: entry.outcome,
    correlationId: entry.correlationId,
    occurredAt: entry.occurredAt,
    recordedAt: entry.recordedAt,
    sourceIp: entry.personal.sourceIp ?? '',
    userAgent: entry.personal.userAgent ?? '',
    hash: entry.hash,
  };
}

const userIdSchema = z.uuid();

export function auditService(deps: Deps): AuditServiceServer {
  const method = (name: string) => `tracking.audit.v1.AuditService/${name}`;
  return {
    listEntries: unary(method('ListEntries'), deps, async (request, call) => {
      const reader = await authorizeCaller(deps.auth, call.metadata, 'audit.read');
      // Validated before it is recorded, so a malformed query leaves no entry and returns a 400.
      const { entries, nextPageToken, filter } = await listEntries(deps.prisma, deps.kek, request);
      await recordRead(deps.prisma, deps.kek, reader, 'audit.entries.listed', filter);
      return { entries: entries.map(toProto), nextPageToken };
    }),

    exportEntries: serverStream(method('ExportEntries'), deps, async (request, send, call) => {
      const reader = await authorizeCaller(deps.auth, call.metadata, 'audit.read');
      const filter = parseExport(request);
      await recordRead(deps.prisma, deps.kek, reader, 'audit.entries.exported', filter);
      // Tells the caller the export is authorised and recorded before any entry is ready.
      await send({ entries: [] });
      let count = 0;
      for await (const page of exportEntries(deps.prisma, deps.kek, filter)) {
        await send({ entries: page.map(toProto) });
        count += page.length;
      }
      deps.log.info({ event: 'audit.entries.exported', count }, 'audit entries exported');
    }),

    verifyChain: unary(method('VerifyChain'), deps, async (request, call) => {
      if (!/^\d{1,19}$/.test(request.fromSequence)) {
        throw new ValidationError('invalid request', { fromSequence: 'must be a sequence number' });
      }
      const reader = await authorizeCaller(deps.auth, call.metadata, 'audit.read');
      await recordRead(deps.prisma, deps.kek, reader, 'audit.chain.checked');
      const result = await verifyOnRequest(deps, BigInt(request.fromSequence));
      return {
        intact: result.intact,
        entriesChecked: String(result.entriesChecked),
        verifiedThrough: result.verifiedThrough.toString(),
        headHash: result.headHash,
        firstBrokenSequence: result.firstBroken?.sequence.toString() ?? '0',
        reason: result.firstBroken?.reason ?? '',
      };
    }),

    eraseSubject: unary(method('EraseSubject'), deps, async (request, call) => {
      if (!userIdSchema.safeParse(request.userId).success) {
        throw new ValidationError('invalid erasure request', { userId: 'must be a user id' });
      }
      const admin = await authorizeCaller(deps.auth, call.metadata, 'users.manage');
      const { sequence, alreadyErased } = await eraseSubject(
        deps.prisma,
        deps.kek,
        request.userId.toLowerCase(),
        admin,
      );
      deps.log.warn(
        { event: 'audit.subject.erased', sequence: sequence.toString(), alreadyErased },
        'a person was erased from the audit log',
      );
      return { sequence: sequence.toString(), alreadyErased };
    }),
  };
}
