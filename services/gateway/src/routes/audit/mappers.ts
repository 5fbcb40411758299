import type {
  AuditEntry,
  ExportEntriesRequest,
  ExportEntriesResponse,
} from '@tracking/proto/tracking/audit/v1/audit';
import { stringify } from 'csv-stringify/sync';
import type { z } from 'zod';

import type { auditEntry, filterQuery, outcome } from './schemas';

/** From the API's filters to an audit request, and from audit entries to the JSON and CSV the API sends. */

export function filterOf(query: z.output<typeof filterQuery>): ExportEntriesRequest {
  return {
    actorUserId: query.actorUserId ?? '',
    subjectType: query.subjectType ?? '',
    subjectId: query.subjectId ?? '',
    action: query.action ?? '',
    correlationId: query.correlationId ?? '',
    outcome: query.outcome ?? '',
    occurredFrom: query.from ? new Date(query.from) : undefined,
    occurredTo: query.to ? new Date(query.to) : undefined,
  };
}

export const orNull = (value: string) => (value === '' ? null : value);

/** One entry as the API shows it; fields the entry does not have are null. */
export function entryJson(entry: AuditEntry): z.input<typeof auditEntry> {
  return {
    sequence: Number(entry.sequence),
    eventId: entry.eventId,
    occurredAt: entry.occurredAt?.toISOString() ?? null,
    recordedAt: entry.recordedAt?.toISOString() ?? null,
    actor: {
      service: entry.actorService,
      userId: orNull(entry.actorUserId),
      role: orNull(entry.actorRole),
    },
    action: entry.action,
    subject: { type: entry.subjectType, id: entry.subjectId },
    tenant: orNull(entry.tenant),
    outcome: entry.outcome as z.input<typeof outcome>,
    sourceIp: orNull(entry.sourceIp),
    userAgent: orNull(entry.userAgent),
    correlationId: entry.correlationId,
    hash: entry.hash,
  };
}

export const CSV_COLUMNS = [
  'sequence',
  'occurredAt',
  'recordedAt',
  'actorService',
  'actorUserId',
  'actorRole',
  'action',
  'subjectType',
  'subjectId',
  'tenant',
  'outcome',
  'sourceIp',
  'userAgent',
  'correlationId',
  'eventId',
  'hash',
] as const;

export function csvRows(entries: AuditEntry[]): string {
  return stringify(
    entries.map((entry) => {
      const json = entryJson(entry);
      return [
        json.sequence,
        json.occurredAt,
        json.recordedAt,
        json.actor.service,
        json.actor.userId,
        json.actor.role,
        json.action,
        json.subject.type,
        json.subject.id,
        json.tenant,
        json.outcome,
        json.sourceIp,
        json.userAgent,
        json.correlationId,
        json.eventId,
        json.hash,
      ];
    }),
    // A user agent or subject id is caller-controlled: a cell starting with = + - @ or a tab
    // would be a formula in a spreadsheet (CSV injection), so such cells are prefixed with '.
    { escape_formulas: true },
  );
}

export async function* csvBody(pages: AsyncIterable<ExportEntriesResponse>): AsyncGenerator<string> {
  yield stringify([[...CSV_COLUMNS]]);
  for await (const page of pages) if (page.entries.length) yield csvRows(page.entries);
}

export async function* jsonBody(pages: AsyncIterable<ExportEntriesResponse>): AsyncGenerator<string> {
  // One JSON array, written as it streams: a cut-off export is invalid JSON, never a short list.
  let first = true;
  yield '[';
  for await (const page of pages) {
    for (const entry of page.entries) {
      yield `${first ? '\n' : ',\n'}${JSON.stringify(entryJson(entry))}`;
      first = false;
    }
  }
  yield '\n]\n';
}
