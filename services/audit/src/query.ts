import { createHash } from 'node:crypto';

import {
  isCorrelationId,
  newEvent,
  currentContext,
  fieldErrors,
  ValidationError,
  type Actor,
  type Keyring,
} from '@tracking/kit';
import canonicalize from 'canonicalize';
import { z } from 'zod';

import type { PrismaClient } from './db';
import { appendEntry } from './entries';
import type { AuditEntry, Prisma } from './generated/prisma/client';
import { dataSubjectOf, open, readSubjectKey } from './personal';

/**
 * Reading the log: filters, keyset pages, exports, and the entry each read leaves behind.
 * Every filter is optional; an empty string (the proto default) means "not set".
 */
const unset = z.literal('');
const filterShape = {
  correlationId: z.string().refine((value) => value === '' || isCorrelationId(value), {
    message: 'is not a correlation id',
  }),
  actorUserId: z.union([unset, z.uuid({ message: 'must be a user id' })]),
  subjectType: z.union([
    unset,
    z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, { message: 'must be a type name' }),
  ]),
  subjectId: z.string().max(128),
  action: z.union([
    unset,
    z
      .string()
      .max(128)
      .regex(/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*(\.\*)?$/, {
        message: 'must be an action such as auth.login.succeeded, or a prefix such as auth.mfa.*',
      }),
  ]),
  occurredFrom: z.date().optional(),
  occurredTo: z.date().optional(),
  outcome: z.union([unset, z.enum(['success', 'failure', 'denied'])]),
};

const filterSchema = z.object(filterShape);
export type EntryFilter = z.output<typeof filterSchema>;

/** A filter as it arrives: the fields of ListEntriesRequest and ExportEntriesRequest, not yet checked. */
export interface FilterQuery {
  correlationId: string;
  actorUserId: string;
  subjectType: string;
  subjectId: string;
  action: string;
  occurredFrom?: Date | undefined;
  occurredTo?: Date | undefined;
  outcome: string;
}

const checkFilter = (filter: EntryFilter, ctx: z.RefinementCtx) => {
  if (filter.subjectId !== '' && filter.subjectType === '') {
    ctx.addIssue({ code: 'custom', path: ['subjectType'], message: 'is needed with subjectId' });
  }
  if (filter.occurredFrom && filter.occurredTo && filter.occurredFrom >= filter.occurredTo) {
    ctx.addIssue({ code: 'custom', path: ['occurredTo'], message: 'must be after occurredFrom' });
  }
};

const MAX_BIGINT = 2n ** 63n - 1n;
const PAGE_TOKEN = /^([ad])(\d{1,19})\.([0-9a-f]{16})$/;

const listSchema = filterSchema
  .extend({
    pageSize: z.number().int().min(0).max(500),
    pageToken: z.string().max(64),
    newestFirst: z.boolean(),
  })
  .superRefine(checkFilter);
const exportSchema = filterSchema.superRefine(checkFilter);

function invalid(error: z.ZodError): ValidationError {
  return new ValidationError('invalid query', fieldErrors(error, '(query)'));
}

/** Just the filter fields of a checked query. */
const filterOf = (query: EntryFilter): EntryFilter => filterSchema.parse(query);

/** Ties a page token to its query, so a token reused with other filters or order is refused, not misread. */
function fingerprint(filter: EntryFilter, newestFirst: boolean): string {
  const text = canonicalize({
    ...filter,
    occurredFrom: filter.occurredFrom?.toISOString() ?? null,
    occurredTo: filter.occurredTo?.toISOString() ?? null,
    newestFirst,
  });
  return createHash('sha256')
    .update(text ?? '')
    .digest('hex')
    .slice(0, 16);
}

/** LIKE treats _ and % as wildcards and Prisma's startsWith does not escape them (prisma/prisma#19506). */
const escapeLike = (text: string) => text.replace(/[\\%_]/g, '\\$&');

function whereOf(filter: EntryFilter): Prisma.AuditEntryWhereInput {
  const where: Prisma.AuditEntryWhereInput = {};
  if (filter.correlationId) where.correlationId = filter.correlationId;
  // uuid columns read back lower-case; the filter matches however the caller spelt the id.
  if (filter.actorUserId) where.actorUserId = filter.actorUserId.toLowerCase();
  if (filter.subjectType) where.subjectType = filter.subjectType;
  if (filter.subjectId) where.subjectId = filter.subjectId;
  if (filter.action) {
    where.action = filter.action.endsWith('.*')
      ? { startsWith: escapeLike(filter.action.slice(0, -1)) }
      : filter.action;
  }
  if (filter.occurredFrom || filter.occurredTo) {
    where.occurredAt = {
      ...(filter.occurredFrom ? { gte: filter.occurredFrom } : {}),
      ...(filter.occurredTo ? { lt: filter.occurredTo } : {}),
    };
  }
  if (filter.outcome) where.outcome = filter.outcome;
  return where;
}

export type ReadableEntry = AuditEntry & { personal: { sourceIp: string | null; userAgent: string | null } };

/** Opens the personal fields of a page of entries, reading each person's key once; an erased person's come back null. */
async function withPersonal(
  prisma: PrismaClient,
  kek: Keyring,
  entries: AuditEntry[],
): Promise<ReadableEntry[]> {
  const keys = new Map<string, Awaited<ReturnType<typeof readSubjectKey>>>();
  const readable: ReadableEntry[] = [];
  for (const entry of entries) {
    const subject = dataSubjectOf(entry);
    if (!keys.has(subject)) keys.set(subject, await readSubjectKey(prisma, kek, subject));
    const keyring = keys.get(subject);
    readable.push({
      ...entry,
      personal: {
        sourceIp: open(keyring, entry.eventId, 'sourceIp', entry.sourceIp),
        userAgent: open(keyring, entry.eventId, 'userAgent', entry.userAgent),
      },
    });
  }
  return readable;
}

/** One page of the entries matching every filter that is set, by sequence. */
export async function listEntries(
  prisma: PrismaClient,
  kek: Keyring,
  query: FilterQuery & { pageSize: number; pageToken: string; newestFirst: boolean },
): Promise<{ entries: ReadableEntry[]; nextPageToken: string; filter: EntryFilter }> {
  const parsed = listSchema.safeParse(query);
  if (!parsed.success) throw invalid(parsed.error);
  const { pageSize: requested, pageToken, newestFirst } = parsed.data;
  const filter = filterOf(parsed.data);
  const pageSize = requested || 100;
  const direction = newestFirst ? 'd' : 'a';
  const print = fingerprint(filter, newestFirst);
  let after: bigint | undefined;
  if (pageToken) {
    const match = PAGE_TOKEN.exec(pageToken);
    // A sequence number we issued, within PostgreSQL's bigint: a forged token is a 400, not a 500.
    if (!match?.[2] || BigInt(match[2]) > MAX_BIGINT) {
      throw new ValidationError('invalid query', { pageToken: 'is not a page token from this service' });
    }
    if (match[1] !== direction || match[3] !== print) {
      throw new ValidationError('invalid query', {
        pageToken: 'belongs to a query with other filters or order; repeat them exactly',
      });
    }
    after = BigInt(match[2]);
  }
  const rows = await prisma.auditEntry.findMany({
    where: {
      ...whereOf(filter),
      ...(after === undefined ? {} : { sequence: newestFirst ? { lt: after } : { gt: after } }),
    },
    orderBy: { sequence: newestFirst ? 'desc' : 'asc' },
    take: pageSize + 1,
  });
  const page = rows.slice(0, pageSize);
  const last = page[page.length - 1];
  const nextPageToken =
    rows.length > pageSize && last ? `${direction}${last.sequence.toString()}.${print}` : '';
  return { entries: await withPersonal(prisma, kek, page), nextPageToken, filter };
}

export function parseExport(query: FilterQuery): EntryFilter {
  const parsed = exportSchema.safeParse(query);
  if (!parsed.success) throw invalid(parsed.error);
  return filterOf(parsed.data);
}

/**
 * Every entry matching the filter, oldest first, in pages of `pageSize`. The export covers the
 * log up to its head when the first page is read, so entries appended meanwhile do not make it
 * run on, and the result is one consistent cut of the log.
 */
export async function* exportEntries(
  prisma: PrismaClient,
  kek: Keyring,
  filter: EntryFilter,
  pageSize = 500,
): AsyncGenerator<ReadableEntry[]> {
  const head = await prisma.auditEntry.aggregate({ _max: { sequence: true } });
  const through = head._max.sequence ?? 0n;
  let after = 0n;
  for (;;) {
    const page = await prisma.auditEntry.findMany({
      where: { ...whereOf(filter), sequence: { gt: after, lte: through } },
      orderBy: { sequence: 'asc' },
      take: pageSize,
    });
    const last = page[page.length - 1];
    if (!last) return;
    yield await withPersonal(prisma, kek, page);
    if (page.length < pageSize) return;
    after = last.sequence;
  }
}

/** What a read of the log was about: a person when the filter names one, else the log itself. */
function readSubject(filter: EntryFilter | undefined): { type: string; id: string } {
  if (filter?.actorUserId) return { type: 'user', id: filter.actorUserId.toLowerCase() };
  if (filter?.subjectType && filter.subjectId) return { type: filter.subjectType, id: filter.subjectId };
  return { type: 'audit_log', id: 'entries' };
}

export type ReadAction = 'audit.entries.listed' | 'audit.entries.exported' | 'audit.chain.checked';

/**
 * Records a read of the log in the log itself, before anything is returned: if it cannot be
 * recorded, the read does not happen. The entry names the reader, where from, and whose
 * entries they asked for.
 */
export async function recordRead(
  prisma: PrismaClient,
  kek: Keyring,
  reader: Actor,
  action: ReadAction,
  filter?: EntryFilter,
): Promise<{ sequence: bigint }> {
  const context = currentContext();
  const event = newEvent({
    type: 'audit.recorded',
    actor: reader,
    data: {
      action,
      subject: readSubject(filter),
      outcome: 'success',
      sourceIp: context?.clientIp ?? null,
      userAgent: context?.userAgent ?? null,
    },
  });
  return prisma.$transaction(async (tx) => {
    const { sequence } = await appendEntry(tx, event, kek);
    return { sequence };
  });
}
