import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { callUnary, streamMessages, type Logger } from '@tracking/kit';
import type {
  AuditEntry,
  AuditServiceClient,
  ExportEntriesRequest,
  ExportEntriesResponse,
} from '@tracking/proto/tracking/audit/v1/audit';
import { stringify } from 'csv-stringify/sync';
import { Router } from 'express';
import { z } from 'zod';

import { sessionMetadata } from './session';
import { parse } from './validation';

/**
 * The admin API over the audit log: query, export, verify, erase. The gateway checks only the
 * shape of a request; the audit service asks auth whether the session may do it, and records
 * every read in the log before it answers.
 */

// strictObject: a misspelt filter (?actor=...) is a 400, not a silent query of everything.
const filterQuery = z.strictObject({
  actorUserId: z.uuid().optional(),
  subjectType: z.string().max(64).optional(),
  subjectId: z.string().max(128).optional(),
  /** An exact action, or a prefix ending in ".*". */
  action: z.string().max(128).optional(),
  correlationId: z.string().max(128).optional(),
  outcome: z.enum(['success', 'failure', 'denied']).optional(),
  /** occurredAt >= from and < to, as RFC 3339 times. */
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});
const listQuery = filterQuery.extend({
  order: z.enum(['newest', 'oldest']).default('newest'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  /** The nextCursor of the previous page; repeat the same filters and order with it. */
  cursor: z.string().max(64).optional(),
});
const exportQuery = filterQuery.extend({ format: z.enum(['csv', 'json']) });

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
function entryJson(entry: AuditEntry) {
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
    outcome: entry.outcome,
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

export function auditRoutes(
  audit: AuditServiceClient,
  options: { log: Logger; longCallDeadlineMs: number },
): Router {
  const router = Router();
  // Audit data is personal and sensitive: never kept by a cache on the way.
  router.use((_req, res, next) => {
    res.set('cache-control', 'no-store');
    next();
  });

  router.get('/admin/audit/entries', async (req, res) => {
    const { order, limit, cursor, ...filter } = parse(listQuery, req.query);
    const page = await callUnary(
      audit.listEntries.bind(audit),
      {
        ...filterOf(filter),
        pageSize: limit,
        pageToken: cursor ?? '',
        newestFirst: order === 'newest',
      },
      sessionMetadata(req),
    );
    res.json({ entries: page.entries.map(entryJson), nextCursor: orNull(page.nextPageToken) });
  });

  router.get('/admin/audit/export', async (req, res) => {
    const { format, ...filter } = parse(exportQuery, req.query);
    const call = audit.exportEntries(filterOf(filter), sessionMetadata(req), {
      deadline: Date.now() + options.longCallDeadlineMs,
    });
    const pages = streamMessages(call);
    // The audit service sends a first, empty page once the export is authorised and recorded:
    // until then a refusal is still an ordinary problem response.
    const opened = await pages.next();
    if (opened.done) throw new Error('the audit export ended before it began');
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    res.status(200);
    res.type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8');
    res.attachment(`audit-${stamp}.${format}`);
    try {
      await pipeline(Readable.from(format === 'csv' ? csvBody(pages) : jsonBody(pages)), res);
    } catch (error) {
      // The status line is gone: the connection is cut, so the client sees a failed download
      // rather than a file that looks complete. A client that left is not our failure.
      const clientLeft = (error as { code?: unknown }).code === 'ERR_STREAM_PREMATURE_CLOSE';
      options.log[clientLeft ? 'info' : 'error'](
        { err: error },
        clientLeft ? 'audit export abandoned by the client' : 'audit export aborted',
      );
      res.destroy();
    }
  });

  router.post('/admin/audit/verify', async (req, res) => {
    const { fromSequence } = parse(
      z.strictObject({ fromSequence: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0) }),
      req.body,
    );
    // Reads the whole chain from the start point: allowed as long as an export.
    const result = await callUnary(
      audit.verifyChain.bind(audit),
      { fromSequence: String(fromSequence) },
      sessionMetadata(req),
      { deadline: Date.now() + options.longCallDeadlineMs },
    );
    res.json({
      intact: result.intact,
      entriesChecked: Number(result.entriesChecked),
      verifiedThrough: Number(result.verifiedThrough),
      headHash: result.headHash,
      firstBroken: result.intact
        ? null
        : { sequence: Number(result.firstBrokenSequence), reason: result.reason },
    });
  });

  router.post('/admin/users/:userId/audit-erasure', async (req, res) => {
    const { userId } = parse(z.object({ userId: z.uuid() }), req.params);
    const result = await callUnary(audit.eraseSubject.bind(audit), { userId }, sessionMetadata(req));
    res.status(201).json({ sequence: Number(result.sequence), alreadyErased: result.alreadyErased });
  });

  return router;
}
