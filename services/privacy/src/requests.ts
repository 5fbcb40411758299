import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';

import {
  ERASURE_FINAL_PARTICIPANT,
  exportPartPrefix,
  exportRequestedSchema,
  NOTIFICATION_REQUESTED,
  notificationRequest,
  PRIVACY_EVENT_TYPES,
  PRIVACY_PARTICIPANTS,
  PRIVACY_REQUEST_KINDS,
  PRIVACY_REQUEST_STATES,
  PRIVACY_TOPICS,
  TOPICS,
  type AuditEvent,
  type ExportPartFile,
  type NotificationRequested,
  type PrivacyRequestKind,
  type PrivacyRequestState,
} from '@tracking/contracts';
import {
  currentContext,
  currentCorrelationId,
  enqueue,
  FailedPreconditionError,
  newCorrelationId,
  newEvent,
  NotFoundError,
  PermissionDeniedError,
  ValidationError,
  type Actor,
  type Logger,
  type OutgoingEvent,
  type SqlExecutor,
} from '@tracking/kit';
import type pg from 'pg';
import { z } from 'zod';

import type { ExportAssembly } from './exports';
import type { ErasureLedger } from './ledger';
import type { PrivacyMetrics } from './metrics';

/** States in which a request still needs work (ListRequests' open count, the deadline metrics). */
export const OPEN_STATES = ['pending', 'collecting', 'assembling', 'scheduled', 'erasing'] as const;
const OPEN_STATES_SQL = OPEN_STATES.map((state) => `'${state}'`).join(', ');

/** The saga's settings and collaborators; main.ts builds them from configuration, tests from their own. */
export interface PrivacyDeps {
  pool: pg.Pool;
  log: Logger;
  metrics: PrivacyMetrics;
  ledger: ErasureLedger;
  exports: ExportAssembly;
  policy: {
    /** The web app's origin; mails link to /account/privacy under it. */
    appOrigin: string;
    coolingOffMs: number;
    exportTtlMs: number;
  };
}

/** Who is calling, from the gateway-signed principal. */
export interface Caller {
  userId: string;
  role: string;
}

export interface StepView {
  service: string;
  phase: number | null;
  state: 'pending' | 'completed' | 'failed';
  finishedAt: Date | null;
  counts: Record<string, number>;
  files: ExportPartFile[];
  failure: string | null;
}

export interface RequestView {
  id: string;
  kind: PrivacyRequestKind;
  subjectId: string;
  requestedBy: string;
  reason: string | null;
  state: PrivacyRequestState;
  requestedAt: Date;
  scheduledFor: Date | null;
  erasingSince: Date | null;
  phase: number | null;
  finishedAt: Date | null;
  expiresAt: Date | null;
  dueAt: Date;
  objectKey: string | null;
  sizeBytes: number | null;
  failure: string | null;
  correlationId: string;
  steps: StepView[];
}

interface RequestRow {
  id: string;
  kind: PrivacyRequestKind;
  subject_id: string;
  requested_by: string;
  reason: string | null;
  state: PrivacyRequestState;
  requested_at: Date;
  scheduled_for: Date | null;
  erasing_since: Date | null;
  phase: number | null;
  finished_at: Date | null;
  expires_at: Date | null;
  due_at: Date;
  object_key: string | null;
  size_bytes: string | null;
  failure: string | null;
  correlation_id: string;
}

interface StepRow {
  request_id: string;
  service: string;
  phase: number | null;
  state: StepView['state'];
  finished_at: Date | null;
  counts: Record<string, number>;
  files: ExportPartFile[];
  failure: string | null;
}

const REQUEST_COLUMNS = `id, kind, subject_id, requested_by, reason, state, requested_at, scheduled_for,
  erasing_since, phase, finished_at, expires_at, due_at, object_key, size_bytes, failure, correlation_id`;

function toView(row: RequestRow, steps: StepRow[]): RequestView {
  return {
    id: row.id,
    kind: row.kind,
    subjectId: row.subject_id,
    requestedBy: row.requested_by,
    reason: row.reason,
    state: row.state,
    requestedAt: row.requested_at,
    scheduledFor: row.scheduled_for,
    erasingSince: row.erasing_since,
    phase: row.phase,
    finishedAt: row.finished_at,
    expiresAt: row.expires_at,
    dueAt: row.due_at,
    objectKey: row.object_key,
    sizeBytes: row.size_bytes === null ? null : Number(row.size_bytes),
    failure: row.failure,
    correlationId: row.correlation_id,
    steps: steps
      .filter((step) => step.request_id === row.id)
      .map((step) => ({
        service: step.service,
        phase: step.phase,
        state: step.state,
        finishedAt: step.finished_at,
        counts: step.counts,
        files: step.files,
        failure: step.failure,
      })),
  };
}

/** Requests with their steps, in the order of `rows`. */
export async function withSteps(sql: SqlExecutor, rows: RequestRow[]): Promise<RequestView[]> {
  if (rows.length === 0) return [];
  const steps = await sql.query<StepRow>(
    `SELECT request_id, service, phase, state, finished_at, counts, files, failure
       FROM privacy_step WHERE request_id = ANY($1::uuid[]) ORDER BY phase NULLS FIRST, service`,
    [rows.map((row) => row.id)],
  );
  return rows.map((row) => toView(row, steps));
}

export async function loadRequest(
  sql: SqlExecutor,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<RequestView | undefined> {
  const rows = await sql.query<RequestRow>(
    `SELECT ${REQUEST_COLUMNS} FROM privacy_request WHERE id = $1${options.forUpdate ? ' FOR UPDATE' : ''}`,
    [id],
  );
  const [view] = await withSteps(sql, rows);
  return view;
}

export async function selectRequests(
  sql: SqlExecutor,
  where: string,
  params: unknown[],
): Promise<RequestView[]> {
  const rows = await sql.query<RequestRow>(`SELECT ${REQUEST_COLUMNS} FROM privacy_request ${where}`, params);
  return withSteps(sql, rows);
}

/** Runs `fn` in one transaction on its own connection. */
export async function transaction<T>(pool: pg.Pool, fn: (sql: SqlExecutor) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn({
      async query<R>(text: string, params: unknown[] = []) {
        return (await client.query(text, params)).rows as R[];
      },
    });
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

// ---------------------------------------------------------------------------------------------
// Events the saga emits, always through the outbox

/** The saga's own actor, for what the timer and the step answers do. */
export const SAGA_ACTOR: Actor = { service: 'privacy', userId: null, role: null };

export function callerActor(caller: Caller): Actor {
  return { service: 'privacy', userId: caller.userId, role: caller.role };
}

/**
 * Events written later by the saga (after a timer or an answer) keep the correlation id of the
 * call that asked, so one id follows a request from the gateway to its last audit entry.
 */
function envelopeOf<T>(type: string, actor: Actor, data: T, correlationId: string | undefined) {
  const envelope = newEvent({ type, actor, data });
  return correlationId ? { ...envelope, correlationId } : envelope;
}

export function auditEvent(
  action: string,
  subjectId: string,
  actor: Actor,
  options: { outcome?: AuditEvent['outcome']; correlationId?: string } = {},
): OutgoingEvent {
  const context = currentContext();
  const data: AuditEvent = {
    action,
    subject: { type: 'user', id: subjectId },
    outcome: options.outcome ?? 'success',
    sourceIp: context?.clientIp ?? null,
    userAgent: context?.userAgent ?? null,
  };
  return {
    topic: TOPICS.auditEvents,
    key: subjectId,
    envelope: envelopeOf('audit.recorded', actor, data, options.correlationId),
  };
}

export function notificationEvent(request: NotificationRequested, correlationId?: string): OutgoingEvent {
  const key = 'userId' in request.recipient ? request.recipient.userId : undefined;
  return {
    topic: TOPICS.notificationsRequested,
    key,
    envelope: envelopeOf(NOTIFICATION_REQUESTED, SAGA_ACTOR, request, correlationId),
  };
}

export function privacyRequestEvent(
  type: string,
  subjectId: string,
  data: unknown,
  correlationId: string,
): OutgoingEvent {
  return {
    topic: PRIVACY_TOPICS.request,
    key: subjectId,
    envelope: envelopeOf(type, SAGA_ACTOR, data, correlationId),
  };
}

/** `${origin}/account/privacy`, with the export's id where the mail is about one. */
export function privacyPageUrl(appOrigin: string, exportId?: string): string {
  const url = new URL('/account/privacy', appOrigin);
  if (exportId) url.searchParams.set('export', exportId);
  return url.toString();
}

// ---------------------------------------------------------------------------------------------
// Who may do what

const uuid = z.uuid();

function subjectOf(caller: Caller, requested: string): string {
  if (requested === '' || requested === caller.userId) return caller.userId;
  if (!uuid.safeParse(requested).success) {
    throw new ValidationError('subject_id must be a user id', { subject_id: 'not a uuid' });
  }
  if (caller.role !== 'admin') throw new PermissionDeniedError('only an admin may act for another person');
  return requested;
}

/** A request the caller may see: their own, or any for an admin. Anyone else's is not found, like a missing one. */
async function visibleRequest(
  sql: SqlExecutor,
  caller: Caller,
  requestId: string,
  kind: PrivacyRequestKind,
  options: { forUpdate?: boolean; subjectOnly?: boolean } = {},
): Promise<RequestView> {
  const notFound = new NotFoundError(`no such ${kind} request`);
  if (!uuid.safeParse(requestId).success) throw notFound;
  const request = await loadRequest(sql, requestId, options);
  if (!request || request.kind !== kind) throw notFound;
  const own = request.subjectId === caller.userId;
  if (!own && (options.subjectOnly || caller.role !== 'admin')) throw notFound;
  return request;
}

// ---------------------------------------------------------------------------------------------
// The gRPC API's domain calls

async function insertOpen(
  sql: SqlExecutor,
  fields: {
    kind: PrivacyRequestKind;
    subjectId: string;
    requestedBy: string;
    reason: string | null;
    state: PrivacyRequestState;
    scheduledInMs: number | null;
  },
): Promise<{ request: RequestView; existing: boolean }> {
  const id = randomUUID();
  const inserted = await sql.query<RequestRow>(
    `INSERT INTO privacy_request (id, kind, subject_id, requested_by, reason, state, scheduled_for, due_at, correlation_id)
     VALUES ($1, $2, $3, $4, $5, $6,
             now() + $7::bigint * interval '1 millisecond',
             now() + interval '1 month', $8)
     ON CONFLICT (subject_id, kind) WHERE state IN (${OPEN_STATES_SQL}) DO NOTHING
     RETURNING ${REQUEST_COLUMNS}`,
    [
      id,
      fields.kind,
      fields.subjectId,
      fields.requestedBy,
      fields.reason,
      fields.state,
      fields.scheduledInMs,
      currentCorrelationId() ?? newCorrelationId(),
    ],
  );
  if (inserted.length === 0) {
    const open = await selectRequests(
      sql,
      `WHERE subject_id = $1 AND kind = $2 AND state IN (${OPEN_STATES_SQL})`,
      [fields.subjectId, fields.kind],
    );
    if (!open[0]) throw new Error('an open request vanished while it was being asked for again');
    return { request: open[0], existing: true };
  }
  for (const service of PRIVACY_PARTICIPANTS) {
    const phase = fields.kind === 'export' ? null : service === ERASURE_FINAL_PARTICIPANT ? 2 : 1;
    await sql.query(`INSERT INTO privacy_step (request_id, service, phase) VALUES ($1, $2, $3)`, [
      id,
      service,
      phase,
    ]);
  }
  const [request] = await selectRequests(sql, 'WHERE id = $1', [id]);
  if (!request) throw new Error('the new request could not be read back');
  return { request, existing: false };
}

/** Starts an export for the subject: every participant is asked, in the transaction that records it. */
export async function requestExport(
  deps: PrivacyDeps,
  caller: Caller,
  requestedSubject: string,
): Promise<{ request: RequestView; existing: boolean }> {
  const subjectId = subjectOf(caller, requestedSubject);
  const result = await transaction(deps.pool, async (sql) => {
    const opened = await insertOpen(sql, {
      kind: 'export',
      subjectId,
      requestedBy: caller.userId,
      reason: null,
      state: 'collecting',
      scheduledInMs: null,
    });
    if (opened.existing) return opened;
    const { request } = opened;
    const body = exportRequestedSchema.parse({
      requestId: request.id,
      subjectId,
      requestedAt: request.requestedAt.toISOString(),
      partPrefix: exportPartPrefix(request.id),
    });
    await enqueue(sql, [
      privacyRequestEvent(PRIVACY_EVENT_TYPES.exportRequested, subjectId, body, request.correlationId),
      auditEvent('privacy.export.requested', subjectId, callerActor(caller)),
    ]);
    return opened;
  });
  if (!result.existing)
    deps.log.info({ event: 'privacy.export.requested', requestId: result.request.id }, 'export requested');
  return result;
}

export async function getExport(deps: PrivacyDeps, caller: Caller, requestId: string): Promise<RequestView> {
  return visibleRequest(pgSql(deps.pool), caller, requestId, 'export');
}

const reasonSchema = z.string().trim().min(10).max(500);

/**
 * Schedules the subject's erasure after the cooling-off period and mails them about it. An admin
 * acting for someone else must say why (a verified request by mail); the reason is kept and audited.
 */
export async function requestErasure(
  deps: PrivacyDeps,
  caller: Caller,
  requestedSubject: string,
  reasonText: string,
): Promise<{ request: RequestView; existing: boolean }> {
  const subjectId = subjectOf(caller, requestedSubject);
  let reason: string | null = null;
  if (subjectId !== caller.userId) {
    const parsed = reasonSchema.safeParse(reasonText);
    if (!parsed.success) {
      throw new ValidationError('an admin must give a reason of 10 to 500 characters', {
        reason: 'required',
      });
    }
    reason = parsed.data;
  }
  const result = await transaction(deps.pool, async (sql) => {
    const opened = await insertOpen(sql, {
      kind: 'erasure',
      subjectId,
      requestedBy: caller.userId,
      reason,
      state: 'scheduled',
      scheduledInMs: deps.policy.coolingOffMs,
    });
    if (opened.existing) return opened;
    const scheduledFor = opened.request.scheduledFor ?? new Date();
    await enqueue(sql, [
      notificationEvent(
        notificationRequest(
          'account_deletion_scheduled',
          { userId: subjectId },
          { scheduledFor: scheduledFor.toISOString(), cancelUrl: privacyPageUrl(deps.policy.appOrigin) },
        ),
      ),
      auditEvent('privacy.erasure.scheduled', subjectId, callerActor(caller)),
    ]);
    return opened;
  });
  if (!result.existing) {
    deps.log.info({ event: 'privacy.erasure.scheduled', requestId: result.request.id }, 'erasure scheduled');
  }
  return result;
}

/** Cancels a scheduled erasure; once the erasure has begun it runs to the end. */
export async function cancelErasure(
  deps: PrivacyDeps,
  caller: Caller,
  requestId: string,
): Promise<RequestView> {
  const cancelled = await transaction(deps.pool, async (sql) => {
    const request = await visibleRequest(sql, caller, requestId, 'erasure', { forUpdate: true });
    if (request.state !== 'scheduled') {
      throw new FailedPreconditionError(`the erasure is ${request.state} and can no longer be cancelled`);
    }
    await sql.query(`UPDATE privacy_request SET state = 'cancelled', finished_at = now() WHERE id = $1`, [
      request.id,
    ]);
    await enqueue(sql, [auditEvent('privacy.erasure.cancelled', request.subjectId, callerActor(caller))]);
    return loadRequest(sql, request.id);
  });
  if (!cancelled) throw new Error('the cancelled request could not be read back');
  deps.metrics.finished.inc({ kind: 'erasure', outcome: 'cancelled' });
  return cancelled;
}

/** The subject's current erasure (scheduled or running), else their last one; undefined if they never asked. */
export async function getErasure(
  deps: PrivacyDeps,
  caller: Caller,
  requestedSubject: string,
): Promise<RequestView | undefined> {
  const subjectId = subjectOf(caller, requestedSubject);
  const [request] = await selectRequests(
    pgSql(deps.pool),
    `WHERE subject_id = $1 AND kind = 'erasure'
     ORDER BY (state IN (${OPEN_STATES_SQL})) DESC, requested_at DESC, id DESC LIMIT 1`,
    [subjectId],
  );
  return request;
}

const cursorSchema = z.object({ at: z.iso.datetime({ offset: true }), id: z.uuid() });

function encodeCursor(request: RequestView): string {
  return Buffer.from(JSON.stringify({ at: request.requestedAt.toISOString(), id: request.id })).toString(
    'base64url',
  );
}

function decodeCursor(cursor: string): { at: string; id: string } {
  try {
    return cursorSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    throw new ValidationError('cursor is not one this service gave out', { cursor: 'invalid' });
  }
}

export interface ListFilter {
  kind: string;
  state: string;
  subjectId: string;
  limit: number;
  cursor: string;
  /** Only the caller's own, even for an admin (their own account page). */
  own?: boolean;
}

/**
 * Requests newest first, with the open count and the oldest open request's age. An admin sees
 * every subject's; anyone else only their own (a person coming back to their exports), with
 * the counts over their own requests too, so a list never says how busy the service is.
 */
export async function listRequests(
  deps: PrivacyDeps,
  caller: Caller,
  filter: ListFilter,
): Promise<{ requests: RequestView[]; nextCursor: string; openCount: number; oldestOpenAgeSeconds: number }> {
  const problems: Record<string, string> = {};
  if (filter.kind && !(PRIVACY_REQUEST_KINDS as readonly string[]).includes(filter.kind))
    problems.kind = 'unknown';
  if (filter.state && !(PRIVACY_REQUEST_STATES as readonly string[]).includes(filter.state))
    problems.state = 'unknown';
  if (filter.subjectId && !uuid.safeParse(filter.subjectId).success) problems.subject_id = 'not a uuid';
  if (filter.limit < 0 || filter.limit > 100) problems.limit = 'out of range';
  if (Object.keys(problems).length > 0) throw new ValidationError('invalid filter', problems);
  const limit = filter.limit || 50;
  const all = caller.role === 'admin' && !filter.own;
  // Anyone's own list: the subject is forced to the caller; naming someone else is refused.
  if (!all && filter.subjectId && filter.subjectId !== caller.userId) {
    throw new PermissionDeniedError('only an admin may list another person’s requests');
  }
  const subjectId = all ? filter.subjectId : caller.userId;

  const conditions: string[] = [];
  const params: unknown[] = [];
  const bind = (value: unknown) => {
    params.push(value);
    return `$${String(params.length)}`;
  };
  if (filter.kind) conditions.push(`kind = ${bind(filter.kind)}`);
  if (filter.state) conditions.push(`state = ${bind(filter.state)}`);
  if (subjectId) conditions.push(`subject_id = ${bind(subjectId)}`);
  if (filter.cursor) {
    const cursor = decodeCursor(filter.cursor);
    conditions.push(`(requested_at, id) < (${bind(cursor.at)}::timestamptz, ${bind(cursor.id)}::uuid)`);
  }
  const where = conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';
  const sql = pgSql(deps.pool);
  const page = await selectRequests(
    sql,
    `${where} ORDER BY requested_at DESC, id DESC LIMIT ${bind(limit + 1)}`,
    params,
  );
  const [open] = await sql.query<{ count: string; oldest: string | null }>(
    `SELECT count(*) AS count, extract(epoch FROM now() - min(requested_at))::bigint AS oldest
       FROM privacy_request WHERE state IN (${OPEN_STATES_SQL})${all ? '' : ' AND subject_id = $1'}`,
    all ? [] : [subjectId],
  );
  const requests = page.slice(0, limit);
  const last = requests.at(-1);
  return {
    requests,
    nextCursor: page.length > limit && last ? encodeCursor(last) : '',
    openCount: Number(open?.count ?? 0),
    oldestOpenAgeSeconds: Number(open?.oldest ?? 0),
  };
}

/**
 * The ready export's bytes for its subject alone (not even an admin: the file is the person's
 * data). Every download is audited.
 */
export async function openExportDownload(
  deps: PrivacyDeps,
  caller: Caller,
  requestId: string,
): Promise<{ fileName: string; sizeBytes: number; open: () => Promise<Readable> }> {
  const request = await visibleRequest(pgSql(deps.pool), caller, requestId, 'export', { subjectOnly: true });
  const expired = request.expiresAt !== null && request.expiresAt.getTime() <= Date.now();
  if (request.state !== 'ready' || expired || !request.objectKey) {
    throw new FailedPreconditionError(
      request.state === 'ready' || request.state === 'expired'
        ? 'the export has expired; ask for a new one'
        : `the export is ${request.state}, not ready`,
    );
  }
  await enqueue(pgSql(deps.pool), [
    auditEvent('privacy.export.downloaded', request.subjectId, callerActor(caller)),
  ]);
  const objectKey = request.objectKey;
  const day = request.requestedAt.toISOString().slice(0, 10);
  return {
    fileName: `tracking-export-${day}.zip`,
    sizeBytes: request.sizeBytes ?? 0,
    open: () => deps.exports.openDownload(objectKey),
  };
}

export function pgSql(pool: pg.Pool): SqlExecutor {
  return {
    async query<R>(text: string, params: unknown[] = []) {
      return (await pool.query(text, params)).rows as R[];
    },
  };
}
