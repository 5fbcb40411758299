import { unary, ValidationError, type Keyring, type Logger, type Metrics } from '@tracking/kit';
import type { AuditServiceServer } from '@tracking/proto/tracking/audit/v1/audit';

import type { PrismaClient } from './db';
import { verifyChain } from './chain';
import { listEntries } from './entries';

export function auditService(deps: {
  prisma: PrismaClient;
  kek: Keyring;
  log: Logger;
  metrics: Metrics;
}): AuditServiceServer {
  return {
    // Internal only for now: the admin-facing query API, with its authorisation, is the audit issue's.
    listEntries: unary('tracking.audit.v1.AuditService/ListEntries', deps, async (request) => {
      const { entries, nextPageToken } = await listEntries(deps.prisma, deps.kek, request);
      return {
        entries: entries.map((entry) => ({
          sequence: entry.sequence.toString(),
          eventId: entry.eventId,
          action: entry.action,
          actorService: entry.actorService,
          actorUserId: entry.actorUserId ?? '',
          subjectType: entry.subjectType,
          subjectId: entry.subjectId,
          outcome: entry.outcome,
          correlationId: entry.correlationId,
          occurredAt: entry.occurredAt,
          recordedAt: entry.recordedAt,
          sourceIp: entry.personal.sourceIp ?? '',
          userAgent: entry.personal.userAgent ?? '',
        })),
        nextPageToken,
      };
    }),
    verifyChain: unary('tracking.audit.v1.AuditService/VerifyChain', deps, async (request) => {
      if (!/^\d+$/.test(request.fromSequence)) {
        throw new ValidationError('invalid request', { fromSequence: 'must be a sequence number' });
      }
      const result = await verifyChain(deps.prisma, { fromSequence: BigInt(request.fromSequence) });
      deps.log[result.intact ? 'info' : 'error'](
        {
          event: result.intact ? 'audit.chain.verified' : 'audit.chain.broken',
          verifiedThrough: result.verifiedThrough.toString(),
          firstBroken: result.firstBroken?.sequence.toString(),
          reason: result.firstBroken?.reason,
        },
        result.intact ? 'audit chain verified' : 'audit chain is broken',
      );
      return {
        intact: result.intact,
        entriesChecked: String(result.entriesChecked),
        verifiedThrough: result.verifiedThrough.toString(),
        headHash: result.headHash,
        firstBrokenSequence: result.firstBroken?.sequence.toString() ?? '0',
        reason: result.firstBroken?.reason ?? '',
      };
    }),
  };
}
