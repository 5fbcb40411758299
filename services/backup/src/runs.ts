import { randomUUID } from 'node:crypto';

import {
  backupCompletedSchema,
  backupDrillCompletedSchema,
  backupDrillFailedSchema,
  backupFailedSchema,
  TOPICS,
  type AuditEvent,
} from '@tracking/contracts';
import { enqueue, newEvent, pgTransactionRunner, type OutgoingEvent } from '@tracking/kit';
import type pg from 'pg';
import type { z } from 'zod';

import type { DrillRecord, Manifest } from './manifest';

/**
 * What every backup and drill leaves behind in the backup database, in one transaction: its run
 * record, its result on `backup.run.v1` and an audit event on `audit.events.v1`, so that the
 * audit log sees every backup and every drill, failed ones included. Nothing here carries data
 * or credentials: ids, sizes, digests, timings and a one-line error.
 */
const ACTOR = { service: 'backup', userId: null, role: null };

export type RunRecord =
  | { kind: 'backup'; ok: true; manifest: Manifest }
  | { kind: 'backup'; ok: false; database: string; startedAt: Date; error: string }
  | { kind: 'drill'; record: DrillRecord };

function auditEvent(action: string, database: string, outcome: AuditEvent['outcome']): OutgoingEvent {
  const data: AuditEvent = {
    action,
    subject: { type: 'database', id: database },
    outcome,
    sourceIp: null,
    userAgent: null,
  };
  return {
    topic: TOPICS.auditEvents,
    key: database,
    envelope: newEvent({ type: 'audit.recorded', actor: ACTOR, data }),
  };
}

function runEvent<S extends z.ZodType>(
  type: string,
  schema: S,
  database: string,
  data: z.infer<S>,
): OutgoingEvent {
  return {
    topic: TOPICS.backupRun,
    key: database,
    envelope: newEvent({ type, actor: ACTOR, data: schema.parse(data) }),
  };
}

function eventsOf(run: RunRecord): OutgoingEvent[] {
  if (run.kind === 'backup' && run.ok) {
    const { manifest } = run;
    return [
      runEvent('backup.completed', backupCompletedSchema, manifest.database, {
        backupId: manifest.backupId,
        database: manifest.database,
        objectKey: manifest.object.key,
        ciphertextBytes: manifest.object.ciphertextBytes,
        ciphertextSha256: manifest.object.ciphertextSha256,
        keyId: manifest.encryption.keyId,
        startedAt: manifest.startedAt,
        finishedAt: manifest.finishedAt,
      }),
      auditEvent('backup.completed', manifest.database, 'success'),
    ];
  }
  if (run.kind === 'backup') {
    return [
      runEvent('backup.failed', backupFailedSchema, run.database, {
        database: run.database,
        error: run.error.slice(0, 500),
        startedAt: run.startedAt.toISOString(),
        failedAt: new Date().toISOString(),
      }),
      auditEvent('backup.failed', run.database, 'failure'),
    ];
  }
  const { record } = run;
  if (record.ok && record.backupId !== null && record.rpoSeconds !== null) {
    return [
      runEvent('backup.drill.completed', backupDrillCompletedSchema, record.database, {
        drillId: record.drillId,
        database: record.database,
        backupId: record.backupId,
        rtoSeconds: record.rtoSeconds,
        rpoSeconds: record.rpoSeconds,
        finishedAt: record.finishedAt,
      }),
      auditEvent('backup.drill.completed', record.database, 'success'),
    ];
  }
  return [
    runEvent('backup.drill.failed', backupDrillFailedSchema, record.database, {
      drillId: record.drillId,
      database: record.database,
      backupId: record.backupId,
      error: (record.error ?? 'a verification check failed').slice(0, 500),
      failedAt: record.finishedAt,
    }),
    auditEvent('backup.drill.failed', record.database, 'failure'),
  ];
}

/** Writes the run record and its events in one transaction; returns the event ids. */
export async function recordRun(pool: pg.Pool, run: RunRecord): Promise<string[]> {
  const events = eventsOf(run);
  const row =
    run.kind === 'backup' && run.ok
      ? {
          kind: 'backup',
          database: run.manifest.database,
          backupId: run.manifest.backupId,
          drillId: null,
          startedAt: run.manifest.startedAt,
          finishedAt: run.manifest.finishedAt,
          ok: true,
          error: null,
          details: {
            plaintextBytes: run.manifest.plaintextBytes,
            ciphertextBytes: run.manifest.object.ciphertextBytes,
            ciphertextSha256: run.manifest.object.ciphertextSha256,
            keyId: run.manifest.encryption.keyId,
          },
        }
      : run.kind === 'backup'
        ? {
            kind: 'backup',
            database: run.database,
            backupId: null,
            drillId: null,
            startedAt: run.startedAt.toISOString(),
            finishedAt: new Date().toISOString(),
            ok: false,
            error: run.error,
            details: {},
          }
        : {
            kind: 'drill',
            database: run.record.database,
            backupId: run.record.backupId,
            drillId: run.record.drillId,
            startedAt: run.record.startedAt,
            finishedAt: run.record.finishedAt,
            ok: run.record.ok,
            error: run.record.error,
            details: {
              rtoSeconds: run.record.rtoSeconds,
              rpoSeconds: run.record.rpoSeconds,
              checks: run.record.checks,
            },
          };
  await pgTransactionRunner(pool)(async (sql) => {
    await sql.query(
      `INSERT INTO backup_run (id, kind, database, backup_id, drill_id, started_at, finished_at, outcome, error, details)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb)`,
      [
        randomUUID(),
        row.kind,
        row.database,
        row.backupId,
        row.drillId,
        row.startedAt,
        row.finishedAt,
        row.ok ? 'success' : 'failure',
        row.error,
        JSON.stringify(row.details),
      ],
    );
    await enqueue(sql, events);
  });
  return events.map((event) => event.envelope.id);
}

/** Runs per database, kind and outcome, for backup_runs_total. */
export async function countRuns(
  pool: pg.Pool,
): Promise<{ database: string; kind: string; outcome: string; runs: number }[]> {
  const { rows } = await pool.query<{ database: string; kind: string; outcome: string; runs: string }>(
    'SELECT database, kind, outcome, count(*) AS runs FROM backup_run GROUP BY 1, 2, 3',
  );
  return rows.map((row) => ({ ...row, runs: Number(row.runs) }));
}
