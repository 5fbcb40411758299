import { callUnary, streamMessages } from '@tracking/kit';
import { z } from 'zod';

import { defineRoute, json, stream } from '../../http/route';
import { CSV_COLUMNS, csvBody, entryJson, filterOf, jsonBody, orNull } from './mappers';
import { auditEntry, exportQuery, listQuery } from './schemas';

/**
 * The admin API over the audit log: query, export, verify, erase. The gateway checks only the
 * shape of a request; the audit service asks auth whether the session may do it, and records
 * every read in the log before it answers.
 */
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
