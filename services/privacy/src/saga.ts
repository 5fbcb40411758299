import {
  erasureRequestedSchema,
  notificationRequest,
  PRIVACY_EVENT_TYPES,
  stepCompletedSchema,
  stepFailedSchema,
  type PrivacyParticipant,
  type ExportPartFile,
} from '@tracking/contracts';
import { enqueue, PoisonMessageError, type EventEnvelope, type SqlExecutor } from '@tracking/kit';

import {
  auditEvent,
  loadRequest,
  notificationEvent,
  pgSql,
  privacyPageUrl,
  privacyRequestEvent,
  SAGA_ACTOR,
  selectRequests,
  transaction,
  type PrivacyDeps,
  type RequestView,
} from './requests';

/*
 * The saga's moves after the request (docs/privacy.md, "The sagas"). Every move reads the state
 * from the database and writes the next state and its events in one transaction, so a crash at
 * any point leaves either the old state (the move runs again) or the new one (it is done): the
 * saga resumes from the database, and the participants' idempotent steps absorb a repeated event.
 */

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function failRequest(
  sql: SqlExecutor,
  deps: PrivacyDeps,
  request: RequestView,
  failure: string,
): Promise<void> {
  await sql.query(
    `UPDATE privacy_request SET state = 'failed', finished_at = now(), failure = $2 WHERE id = $1`,
    [request.id, failure.slice(0, 600)],
  );
  await enqueue(sql, [
    auditEvent(`privacy.${request.kind}.failed`, request.subjectId, SAGA_ACTOR, {
      outcome: 'failure',
      correlationId: request.correlationId,
    }),
  ]);
  deps.log.warn(
    { event: `privacy.${request.kind}.failed`, requestId: request.id, failure },
    'privacy request failed',
  );
}

/**
 * One participant's answer on `privacy.step.v1`, in the consumer's transaction (which records the
 * event as processed). A body that is not a step answer, or names a request or step that does not
 * exist, can never succeed: it goes to `privacy.dlq.v1`. A second answer for a step changes nothing.
 */
export async function applyStepAnswer(
  deps: PrivacyDeps,
  sql: SqlExecutor,
  event: EventEnvelope,
): Promise<{ assemble: boolean }> {
  const failed = event.type === PRIVACY_EVENT_TYPES.stepFailed;
  if (!failed && event.type !== PRIVACY_EVENT_TYPES.stepCompleted) {
    throw new PoisonMessageError(`unexpected event type ${event.type}`);
  }
  const parsed = failed ? stepFailedSchema.safeParse(event.data) : stepCompletedSchema.safeParse(event.data);
  if (!parsed.success) throw new PoisonMessageError(`invalid ${event.type} body`);
  const answer = parsed.data;

  const request = await loadRequest(sql, answer.requestId, { forUpdate: true });
  if (!request) throw new PoisonMessageError('the answer names no known request');
  if (request.kind !== answer.kind) throw new PoisonMessageError('the answer is for another kind of request');
  const step = request.steps.find((candidate) => candidate.service === answer.service);
  if (!step) throw new PoisonMessageError('the answer names no step of the request');
  if (request.kind === 'erasure' && answer.phase !== step.phase) {
    throw new PoisonMessageError(
      `the answer is for phase ${String(answer.phase)}, the step runs in ${String(step.phase)}`,
    );
  }
  if (step.state !== 'pending') return { assemble: false }; // a redelivered or repeated answer

  if ('reason' in answer) {
    await sql.query(
      `UPDATE privacy_step SET state = 'failed', finished_at = now(), failure = $3
        WHERE request_id = $1 AND service = $2`,
      [request.id, answer.service, answer.reason],
    );
    if (request.state === 'collecting' || request.state === 'erasing') {
      await failRequest(sql, deps, request, `${answer.service}: ${answer.reason}`);
      deps.metrics.finished.inc({ kind: request.kind, outcome: 'failed' });
    }
    return { assemble: false };
  }

  await sql.query(
    `UPDATE privacy_step SET state = 'completed', finished_at = now(), counts = $3::jsonb, files = $4::jsonb
      WHERE request_id = $1 AND service = $2`,
    [request.id, answer.service, JSON.stringify(answer.counts), JSON.stringify(answer.files)],
  );
  const pending = request.steps.filter(
    (other) => other.service !== answer.service && other.state === 'pending',
  );

  if (request.kind === 'export') {
    if (request.state !== 'collecting' || pending.length > 0) return { assemble: false };
    await sql.query(`UPDATE privacy_request SET state = 'assembling' WHERE id = $1`, [request.id]);
    return { assemble: true };
  }

  if (request.state !== 'erasing') return { assemble: false };
  const phase = request.phase ?? 1;
  if (pending.some((other) => (other.phase ?? 1) <= phase)) return { assemble: false };
  if (phase === 1 && pending.length > 0) {
    // Phase 1 is done everywhere: now auth, which deletes the account and sends the last mail.
    await sql.query(`UPDATE privacy_request SET phase = 2 WHERE id = $1`, [request.id]);
    const body = erasureRequestedSchema.parse({
      requestId: request.id,
      subjectId: request.subjectId,
      phase: 2,
      erasingSince: (request.erasingSince ?? new Date()).toISOString(),
    });
    await enqueue(sql, [
      privacyRequestEvent(
        PRIVACY_EVENT_TYPES.erasureRequested,
        request.subjectId,
        body,
        request.correlationId,
      ),
    ]);
    deps.log.info({ event: 'privacy.erasure.phase', requestId: request.id, phase: 2 }, 'erasure phase 2');
    return { assemble: false };
  }
  await sql.query(`UPDATE privacy_request SET state = 'completed', finished_at = now() WHERE id = $1`, [
    request.id,
  ]);
  await enqueue(sql, [
    auditEvent('privacy.erasure.completed', request.subjectId, SAGA_ACTOR, {
      correlationId: request.correlationId,
    }),
  ]);
  deps.metrics.finished.inc({ kind: 'erasure', outcome: 'completed' });
  deps.log.info({ event: 'privacy.erasure.completed', requestId: request.id }, 'erasure completed');
  return { assemble: false };
}

/**
 * Starts every erasure whose cooling-off period has ended. The ledger entry is written FIRST,
 * while the request's row is locked (a cancel waits for it), and only then does the transaction
 * move it to erasing and ask phase 1 of the participants. A crash after the ledger write rolls
 * the move back; the next run writes the same person's entry again and moves on, so phase 1 is
 * asked once.
 */
export async function startDueErasures(deps: PrivacyDeps, limit = 10): Promise<number> {
  let started = 0;
  for (;;) {
    const moved = await transaction(deps.pool, async (sql) => {
      const [request] = await selectRequests(
        sql,
        `WHERE state = 'scheduled' AND scheduled_for <= now()
         ORDER BY scheduled_for LIMIT 1 FOR UPDATE SKIP LOCKED`,
        [],
      );
      if (!request) return false;
      const erasingSince = new Date();
      await deps.ledger.record({
        subjectId: request.subjectId,
        requestId: request.id,
        erasingSince: erasingSince.toISOString(),
      });
      await sql.query(
        `UPDATE privacy_request SET state = 'erasing', erasing_since = $2, phase = 1 WHERE id = $1`,
        [request.id, erasingSince],
      );
      const body = erasureRequestedSchema.parse({
        requestId: request.id,
        subjectId: request.subjectId,
        phase: 1,
        erasingSince: erasingSince.toISOString(),
      });
      await enqueue(sql, [
        privacyRequestEvent(
          PRIVACY_EVENT_TYPES.erasureRequested,
          request.subjectId,
          body,
          request.correlationId,
        ),
        auditEvent('privacy.erasure.started', request.subjectId, SAGA_ACTOR, {
          correlationId: request.correlationId,
        }),
      ]);
      deps.log.info({ event: 'privacy.erasure.started', requestId: request.id }, 'erasure started');
      return true;
    });
    if (!moved) return started;
    started += 1;
    if (started >= limit) return started;
  }
}

/**
 * Assembles every export whose parts are all in. The store's work happens outside any
 * transaction; a failure leaves the request assembling, so the next run tries again (a store
 * that is down delays the export, and the deadline metrics show it).
 */
export async function assembleExports(deps: PrivacyDeps, limit = 5): Promise<number> {
  const waiting = await selectRequests(
    pgSql(deps.pool),
    `WHERE state = 'assembling' ORDER BY requested_at LIMIT $1`,
    [limit],
  );
  let ready = 0;
  for (const request of waiting) {
    const files: Partial<Record<PrivacyParticipant, ExportPartFile[]>> = {};
    for (const step of request.steps) files[step.service as PrivacyParticipant] = step.files;
    let assembled: { objectKey: string; sizeBytes: number };
    try {
      assembled = await deps.exports.assemble({ requestId: request.id, subjectId: request.subjectId, files });
    } catch (error) {
      deps.log.warn(
        { event: 'privacy.export.assembly_failed', requestId: request.id, err: describe(error) },
        'export assembly failed; will retry',
      );
      continue;
    }
    const marked = await transaction(deps.pool, async (sql) => {
      const rows = await sql.query<{ expires_at: Date }>(
        `UPDATE privacy_request
            SET state = 'ready', finished_at = now(), object_key = $2, size_bytes = $3,
                expires_at = now() + $4::bigint * interval '1 millisecond'
          WHERE id = $1 AND state = 'assembling'
          RETURNING expires_at`,
        [request.id, assembled.objectKey, assembled.sizeBytes, deps.policy.exportTtlMs],
      );
      const expiresAt = rows[0]?.expires_at;
      if (!expiresAt) return false;
      await enqueue(sql, [
        notificationEvent(
          notificationRequest(
            'data_export_ready',
            { userId: request.subjectId },
            {
              downloadUrl: privacyPageUrl(deps.policy.appOrigin, request.id),
              expiresAt: expiresAt.toISOString(),
            },
          ),
          request.correlationId,
        ),
        auditEvent('privacy.export.ready', request.subjectId, SAGA_ACTOR, {
          correlationId: request.correlationId,
        }),
      ]);
      return true;
    });
    if (marked) {
      ready += 1;
      deps.metrics.finished.inc({ kind: 'export', outcome: 'ready' });
      deps.log.info({ event: 'privacy.export.ready', requestId: request.id }, 'export ready');
    }
  }
  return ready;
}

/**
 * Deletes every export whose download window has ended and marks it expired (the CronJob runs
 * this through cli.ts; the service's timer too). Records its success for
 * privacy_export_purge_last_success_timestamp_seconds.
 */
export async function purgeExpiredExports(deps: PrivacyDeps): Promise<{ expired: number }> {
  const due = await deps.pool.query<{
    id: string;
    subject_id: string;
    object_key: string | null;
    correlation_id: string;
  }>(
    `SELECT id, subject_id, object_key, correlation_id FROM privacy_request
      WHERE state = 'ready' AND expires_at <= now() ORDER BY expires_at`,
  );
  let expired = 0;
  for (const row of due.rows) {
    if (row.object_key) await deps.exports.remove(row.object_key);
    const marked = await transaction(deps.pool, async (sql) => {
      const rows = await sql.query(
        `UPDATE privacy_request SET state = 'expired' WHERE id = $1 AND state = 'ready' RETURNING id`,
        [row.id],
      );
      if (rows.length === 0) return false;
      await enqueue(sql, [
        auditEvent('privacy.export.expired', row.subject_id, SAGA_ACTOR, {
          correlationId: row.correlation_id,
        }),
      ]);
      return true;
    });
    if (marked) {
      expired += 1;
      deps.metrics.finished.inc({ kind: 'export', outcome: 'expired' });
    }
  }
  await deps.pool.query(
    `INSERT INTO privacy_job (job, last_success_at) VALUES ('purge-exports', now())
     ON CONFLICT (job) DO UPDATE SET last_success_at = excluded.last_success_at`,
  );
  deps.log.info({ event: 'privacy.exports.purged', expired }, 'expired exports purged');
  return { expired };
}

/** Advisory lock key for "runs the saga timer" (advisory locks are per database). */
const TIMER_LOCK_KEY = 0x70726976; // "priv"

/**
 * One run of the saga timer, by one replica at a time: the others find the lock taken and skip
 * (each move is also safe on its own, with its row locks; the lock only saves doubled work).
 */
export async function runSagaTimer(deps: PrivacyDeps): Promise<void> {
  const client = await deps.pool.connect();
  try {
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [
      TIMER_LOCK_KEY,
    ]);
    if (!rows[0]?.locked) return;
    try {
      await startDueErasures(deps);
      await assembleExports(deps);
      await purgeExpiredExports(deps);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [TIMER_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
}
