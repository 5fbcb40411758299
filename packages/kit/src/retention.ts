import type pg from 'pg';
import { Counter, Gauge } from 'prom-client';

import type { MetricsRegistry } from './metrics';

/**
 * Retention jobs (docs/privacy.md, "Retention"): each service that keeps data only for a while
 * purges it with a SQL function its CronJob calls, which records the run in the service's own
 * `retention_run` table (task, finished_at, rows_purged) in the same transaction. The
 * long-running service reads that table at scrape time, so a CronJob's run shows in its metrics
 * and RetentionJobStale can tell when a job stopped succeeding. Every task is reported from
 * start-up: 0 until its first run.
 */
export function createRetentionMetrics(registry: MetricsRegistry, pool: pg.Pool, tasks: readonly string[]) {
  const read = async () => {
    const { rows } = await pool.query<{ task: string; last: number | null; purged: string }>(
      `SELECT task, extract(epoch FROM max(finished_at))::float8 AS last, sum(rows_purged)::text AS purged
         FROM retention_run WHERE task = ANY($1::text[]) GROUP BY task`,
      [tasks],
    );
    return new Map(rows.map((row) => [row.task, { last: row.last ?? 0, purged: Number(row.purged) }]));
  };
  // One read serves both metrics of a scrape; a database that does not answer leaves the last
  // values (the scrape still succeeds, and the job's staleness keeps growing as it should).
  let last = new Map<string, { last: number; purged: number }>();
  let pending: Promise<typeof last> | undefined;
  const once = () => {
    pending ??= read()
      .then((runs) => (last = runs))
      .catch(() => last)
      .finally(() => {
        setTimeout(() => (pending = undefined), 1_000).unref();
      });
    return pending;
  };
  new Gauge({
    name: 'retention_job_last_success_timestamp_seconds',
    help: 'When the retention job last succeeded (Unix seconds), by task; 0 before its first run.',
    labelNames: ['task'] as const,
    registers: [registry],
    async collect() {
      const runs = await once();
      for (const task of tasks) this.set({ task }, runs.get(task)?.last ?? 0);
    },
  });
  new Counter({
    name: 'retention_job_rows_purged_total',
    help: 'Rows the retention job has purged, by task, over every run it recorded.',
    labelNames: ['task'] as const,
    registers: [registry],
    async collect() {
      const runs = await once();
      this.reset();
      for (const task of tasks) this.inc({ task }, runs.get(task)?.purged ?? 0);
    },
  });
}
