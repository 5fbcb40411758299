import type pg from 'pg';

/** The retention jobs auth runs (docs/privacy.md, "Retention"), as their metrics name them. */
export const RETENTION_TASKS = ['auth-sessions', 'auth-tokens', 'auth-devices'] as const;

export interface RetentionPeriods {
  /** Days an ended (revoked or expired) session stays in the person's session list. */
  sessionsDays: number;
  /** Days a used, revoked or expired link's digest is kept. */
  tokensDays: number;
  /** Days a network or browser family not seen again is remembered as a known device. */
  devicesDays: number;
}

export interface Purged {
  sessions: number;
  email_tokens: number;
  sign_in_contexts: number;
}

/**
 * Deletes what auth keeps only for a while and records each task's run; migration 007's
 * retention_purge does it as the owner, in one transaction (the runtime role deletes nothing).
 */
export async function purgeExpired(pool: pg.Pool, periods: RetentionPeriods): Promise<Purged> {
  const { rows } = await pool.query<{ purged: Purged }>(
    `SELECT retention_purge(make_interval(days => $1), make_interval(days => $2), make_interval(days => $3)) AS purged`,
    [periods.sessionsDays, periods.tokensDays, periods.devicesDays],
  );
  const purged = rows[0]?.purged;
  if (!purged) throw new Error('retention_purge answered nothing');
  return purged;
}
