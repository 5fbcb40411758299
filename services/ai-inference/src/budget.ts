import type pg from 'pg';

export interface BudgetLimits {
  requestsPerDay: number;
  tokensPerDay: number;
}

/** Whether a request may go ahead, or which of the day's limits is spent. */
export type Reservation = 'reserved' | 'budget_exhausted' | 'plan_limit';

export interface Budget {
  /**
   * Counts one estimate or review against the tenant's UTC day, if the day still has room:
   * the operator's budget (requests and tokens, every operation) and, for an estimate, the
   * plan's `estimatesPerDay`. The check and the count are one statement, so concurrent
   * requests cannot overshoot.
   */
  reserve(tenantId: string, estimate?: { estimatesPerDay: number }): Promise<Reservation>;
  /** Adds the tokens a provider reported, after the call. */
  spend(tenantId: string, tokens: number): Promise<void>;
  /** Drops days older than `keepDays` (the counters are only needed for today). */
  purge(keepDays: number): Promise<number>;
}

export function createBudget(pool: pg.Pool, limits: BudgetLimits): Budget {
  return {
    async reserve(tenantId, estimate) {
      if (limits.requestsPerDay === 0 || limits.tokensPerDay === 0) return 'budget_exhausted';
      if (estimate?.estimatesPerDay === 0) return 'plan_limit';
      // A review counts no estimate; its plan limit is tracking's, before it is requested.
      const estimates = estimate ? 1 : 0;
      const allowed = estimate?.estimatesPerDay ?? null;
      const { rowCount } = await pool.query(
        `INSERT INTO ai_usage (tenant_id, day, requests, estimates)
              VALUES ($1, (now() AT TIME ZONE 'UTC')::date, 1, $4)
         ON CONFLICT (tenant_id, day) DO UPDATE
                SET requests = ai_usage.requests + 1, estimates = ai_usage.estimates + $4
              WHERE ai_usage.requests < $2 AND ai_usage.tokens < $3
                AND ($5::int IS NULL OR ai_usage.estimates < $5::int)`,
        [tenantId, limits.requestsPerDay, limits.tokensPerDay, estimates, allowed],
      );
      if (rowCount === 1) return 'reserved';
      if (allowed === null) return 'budget_exhausted';
      // Which limit stopped it: the plan's, when its estimates are spent, else the operator's.
      const { rows } = await pool.query<{ estimates: number }>(
        `SELECT estimates FROM ai_usage WHERE tenant_id = $1 AND day = (now() AT TIME ZONE 'UTC')::date`,
        [tenantId],
      );
      return (rows[0]?.estimates ?? 0) >= allowed ? 'plan_limit' : 'budget_exhausted';
    },
    async spend(tenantId, tokens) {
      if (tokens <= 0) return;
      await pool.query(
        `UPDATE ai_usage SET tokens = tokens + $2
          WHERE tenant_id = $1 AND day = (now() AT TIME ZONE 'UTC')::date`,
        [tenantId, Math.round(tokens)],
      );
    },
    async purge(keepDays) {
      const { rowCount } = await pool.query(
        `DELETE FROM ai_usage WHERE day < (now() AT TIME ZONE 'UTC')::date - $1::int`,
        [keepDays],
      );
      return rowCount ?? 0;
    },
  };
}
