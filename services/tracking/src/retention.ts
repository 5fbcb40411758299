import type pg from 'pg';

/** The retention jobs tracking runs (docs/privacy.md, "Retention"), as their metrics name them. */
export const RETENTION_TASKS = ['tracking-deleted-entries'] as const;

export interface PurgedEntries {
  comment: number;
  meal: number;
  metric: number;
}

/**
 * Deletes meals and metrics soft-deleted more than `days` ago (at most 30), with the comments on
 * those meals, and records the run; migration 008's retention_purge_deleted does it as the
 * owner, in one transaction, since the runtime role deletes nothing itself.
 */
export async function purgeDeletedEntries(pool: pg.Pool, days: number): Promise<PurgedEntries> {
  const { rows } = await pool.query<{ purged: PurgedEntries }>(
    'SELECT retention_purge_deleted(make_interval(days => $1)) AS purged',
    [days],
  );
  const purged = rows[0]?.purged;
  if (!purged) throw new Error('retention_purge_deleted answered nothing');
  return purged;
}
