import { unary, type Logger, type Metrics } from '@tracking/kit';
import type { AuditServiceServer } from '@tracking/proto/tracking/audit/v1/audit';

import type { PrismaClient } from './db';
import { listEntries } from './entries';

export function auditService(deps: {
  prisma: PrismaClient;
  log: Logger;
  metrics: Metrics;
}): AuditServiceServer {
  return {
    // Internal only for now: the admin-facing query API, with its authorisation, is the audit issue's.
    listEntries: unary('tracking.audit.v1.AuditService/ListEntries', deps, async (request) => {
      const { entries, nextPageToken } = await listEntries(deps.prisma, request);
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
        })),
        nextPageToken,
      };
    }),
  };
}
