import { callUnary, streamMessages } from '@tracking/kit';
import type {
  AuditEntry,
  ExportEntriesRequest,
  ExportEntriesResponse,
} from '@tracking/proto/tracking/audit/v1/audit';
import { stringify } from 'csv-stringify/sync';
import { z } from 'zod';

import { defineRoute, json, stream } from '../../http/route';

/**
 * The admin API over the audit log: query, export, verify, erase. The gateway checks only the
 * shape of a request; the audit service asks auth whether the session may do it, and records
 * every read in the log before it answers.
 */

const outcome = z.enum(['success', 'failure', 'denied']);

// strictObject: a misspelt filter (?actor=...) is a 400, not a silent query of everything.
const filterQuery = z.strictObject({
  actorUserId: z.uuid().optional(),
  subjectType: z.string().max(64).optional(),
  subjectId: z.string().max(128).optional(),
  action: z
    .string()
    .max(128)
    .optional()
    .meta({ description: 'An exact action, or a prefix ending in ".*" (e.g. auth.login.*).' }),
  correlationId: z.string().max(128).optional(),
  outcome: outcome.optional(),
  from: z.iso
    .datetime({ offset: true })
    .optional()
    .meta({ description: 'Entries that occurred at or after this RFC 3339 time.' }),
  to: z.iso
    .datetime({ offset: true })
    .optional()
    .meta({ description: 'Entries that occurred before this time.' }),
});
const listQuery = filterQuery.extend({
  order: z.enum(['newest', 'oldest']).default('newest'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z
    .string()
    .max(64)
    .optional()
    .meta({ description: 'The nextCursor of the previous page; repeat the same filters and order with it.' }),
});
const exportQuery = filterQuery.extend({ format: z.enum(['csv', 'json']) });

const nullable = z.string().nullable();
const auditEntry = z
  .object({
    sequence: z.int().min(1).meta({ description: 'The position in the hash chain.' }),
    eventId: z.string(),
    occurredAt: z.iso.datetime().nullable(),
    recordedAt: z.iso.datetime().nullable(),
    actor: z.object({ service: z.string(), userId: nullable, role: nullable }),
    action: z.string(),
    subject: z.object({ type: z.string(), id: z.string() }),
    tenant: nullable,
    outcome,
    sourceIp: nullable,
    userAgent: nullable,
    correlationId: z.string(),
    hash: z.string().meta({ description: "The entry's link in the hash chain (hex)." }),
  })
  .meta({
    id: 'AuditEntry',
    description: 'One entry of the audit log; fields the entry does not have are null.',
  });

function filterOf(query: z.output<typeof filterQuery>): ExportEntriesRequest {
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

const orNull = (value: string) => (value === '' ? null : value);

/** One entry as the API shows it; fields the entry does not have are null. */
function entryJson(entry: AuditEntry): z.input<typeof auditEntry> {
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

const CSV_COLUMNS = [
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

function csvRows(entries: AuditEntry[]): string {
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

async function* csvBody(pages: AsyncIterable<ExportEntriesResponse>): AsyncGenerator<string> {
  yield stringify([[...CSV_COLUMNS]]);
  for await (const page of pages) if (page.entries.length) yield csvRows(page.entries);
}

async function* jsonBody(pages: AsyncIterable<ExportEntriesResponse>): AsyncGenerator<string> {
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

export const auditRoutes = [
  defineRoute({
    method: 'get',
    path: '/api/v1/admin/audit/entries',
    operationId: 'listAuditEntries',
    summary: 'Query the audit log, a page at a time',
    description: 'The query is itself recorded in the log.',
    tags: ['audit'],
    access: 'session',
    query: listQuery,
    responses: {
      200: json(
        z.object({
          entries: z.array(auditEntry),
          nextCursor: z.string().nullable().meta({ description: 'Null on the last page.' }),
        }),
        'One page of entries.',
      ),
    },
  }).handle(async ({ query: { order, limit, cursor, ...filter }, session, deps: { audit } }) => {
    const page = await callUnary(
      audit.listEntries.bind(audit),
      {
        ...filterOf(filter),
        pageSize: limit,
        pageToken: cursor ?? '',
        newestFirst: order === 'newest',
      },
      session,
    );
    return {
      status: 200,
      body: { entries: page.entries.map(entryJson), nextCursor: orNull(page.nextPageToken) },
    };
  }),

  defineRoute({
    method: 'get',
    path: '/api/v1/admin/audit/export',
    operationId: 'exportAuditEntries',
    summary: 'Download every matching entry as CSV or JSON',
    description:
      'Streamed, oldest first. The export is recorded in the log before the first entry is sent. A download cut off by a failure ends with a broken connection, never as a file that looks complete.',
    tags: ['audit'],
    access: 'session',
    query: exportQuery,
    responses: {
      200: stream(
        {
          'text/csv': z.string().meta({
            description: `RFC 4180 CSV with a header row: ${CSV_COLUMNS.join(', ')}. Cells that a spreadsheet would run as a formula are prefixed with '.`,
          }),
          'application/json': z.array(auditEntry),
        },
        'The export, as an attachment.',
        { 'Content-Disposition': 'attachment; filename="audit-<time>.<format>"' },
      ),
    },
  }).handle(async ({ query: { format, ...filter }, session, deps: { audit, longCallDeadlineMs } }) => {
    const call = audit.exportEntries(filterOf(filter), session, {
      deadline: Date.now() + longCallDeadlineMs,
    });
    const pages = streamMessages(call);
    // The audit service sends a first, empty page once the export is authorised and recorded:
    // until then a refusal is still an ordinary problem response.
    const opened = await pages.next();
    if (opened.done) throw new Error('the audit export ended before it began');
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    return {
      status: 200,
      stream: {
        contentType: format === 'csv' ? 'text/csv' : 'application/json',
        filename: `audit-${stamp}.${format}`,
        body: format === 'csv' ? csvBody(pages) : jsonBody(pages),
        label: 'audit export',
      },
    };
  }),

  defineRoute({
    method: 'post',
    path: '/api/v1/admin/audit/verify',
    operationId: 'verifyAuditChain',
    summary: 'Check the hash chain of the audit log',
    description: 'Reads the whole chain from the start point: it may take as long as an export.',
    tags: ['audit'],
    access: 'session',
    body: z.strictObject({
      fromSequence: z.int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
    }),
    responses: {
      200: json(
        z.object({
          intact: z.boolean(),
          entriesChecked: z.int().min(0),
          verifiedThrough: z.int().min(0).meta({ description: 'The last sequence found intact.' }),
          headHash: z.string(),
          firstBroken: z
            .object({ sequence: z.int().min(0), reason: z.string() })
            .nullable()
            .meta({ description: 'Null when the chain is intact.' }),
        }),
        'The verdict.',
      ),
    },
  }).handle(async ({ body: { fromSequence }, session, deps: { audit, longCallDeadlineMs } }) => {
    const result = await callUnary(
      audit.verifyChain.bind(audit),
      { fromSequence: String(fromSequence) },
      session,
      {
        deadline: Date.now() + longCallDeadlineMs,
      },
    );
    return {
      status: 200,
      body: {
        intact: result.intact,
        entriesChecked: Number(result.entriesChecked),
        verifiedThrough: Number(result.verifiedThrough),
        headHash: result.headHash,
        firstBroken: result.intact
          ? null
          : { sequence: Number(result.firstBrokenSequence), reason: result.reason },
      },
    };
  }),

  defineRoute({
    method: 'post',
    path: '/api/v1/admin/users/{userId}/audit-erasure',
    operationId: 'eraseAuditSubject',
    summary: "Erase a user's personal data from the audit log",
    description:
      "Destroys the person's key (crypto-shredding): their entries stay and still verify, but their IP and user agent read as null from then on. Repeating it is harmless. Nobody can erase their own data.",
    tags: ['audit'],
    access: 'session',
    params: z.object({ userId: z.uuid() }),
    responses: {
      201: json(
        z.object({
          sequence: z.int().min(1).meta({ description: 'The entry recording the erasure.' }),
          alreadyErased: z.boolean(),
        }),
        'Erased.',
      ),
    },
  }).handle(async ({ params, session, deps: { audit } }) => {
    const result = await callUnary(audit.eraseSubject.bind(audit), params, session);
    return { status: 201, body: { sequence: Number(result.sequence), alreadyErased: result.alreadyErased } };
  }),
];
