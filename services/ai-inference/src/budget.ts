import type pg from 'pg';

export interface BudgetLimits {
  requestsPerDay: number;
  tokensPerDay: number;
}

export interface Budget {
  /**
   * Counts one estimate or review against the tenant's UTC day, if the day still has room;
   * false when its requests or its tokens are spent. The check and the count are one
   * statement, so concurrent requests cannot overshoot.
   */
  reserve(tenantId: string): Promise<boolean>;
  /** Adds the tokens a provider reported, after the call. */
  spend(tenantId: string, tokens: number): Promise<void>;
  /** Drops days older than `keepDays` (the counters are only needed for today). */
  purge(keepDays: number): Promise<number>;
}

export function createBudget(pool: pg.Pool, limits: BudgetLimits): Budget {
  return {
    async reserve(tenantId) {
      if (limits.requestsPerDay === 0 || limits.tokensPerDay === 0) return false;
      const { rowCount } = await pool.query(
        `INSERT INTO ai_usage (tenant_id, day, requests)
              VALUES ($1, (now() AT TIME ZONE 'UTC')::date, 1)
         ON CONFLICT (tenant_id, day) DO UPDATE SET requests = ai_usage.requests + 1
               WHERE ai_usage.requests < $2 AND ai_usage.tokens < $3`,
        [tenantId, limits.requestsPerDay, limits.tokensPerDay],
      );
      return rowCount === 1;
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
