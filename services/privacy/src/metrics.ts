import { PRIVACY_PARTICIPANTS, PRIVACY_REQUEST_KINDS } from '@tracking/contracts';
import type { MetricsRegistry } from '@tracking/kit';
import type pg from 'pg';
import { Counter, Gauge } from 'prom-client';

/** How a request ended: the outcome label of privacy_requests_total. */
export const OUTCOMES = ['ready', 'expired', 'completed', 'cancelled', 'failed'] as const;

/**
 * The deadline metrics the alerts read (docs/privacy.md, "Deadlines"). The gauges are counted
 * from the database at scrape time, so every replica reports the same truth and a request a
 * crashed replica left behind still shows. Labels come from the fixed sets in the contract only.
 */
export function createPrivacyMetrics(registry: MetricsRegistry, pool: pg.Pool) {
  const finished = new Counter({
    name: 'privacy_requests_total',
    help: 'Privacy requests that ended, by kind (export, erasure) and outcome (ready, expired, completed, cancelled, failed).',
    labelNames: ['kind', 'outcome'] as const,
    registers: [registry],
  });
  for (const kind of PRIVACY_REQUEST_KINDS)
    for (const outcome of OUTCOMES) finished.inc({ kind, outcome }, 0);

  new Gauge({
    name: 'privacy_requests_open',
    help: 'Privacy requests not yet answered (an erasure in its cooling-off period included), by kind.',
    labelNames: ['kind'] as const,
    registers: [registry],
    async collect() {
      const { rows } = await pool.query<{ kind: string; count: string }>(
        `SELECT kind, count(*) AS count FROM privacy_request
          WHERE state IN ('pending', 'collecting', 'assembling', 'scheduled', 'erasing') GROUP BY kind`,
      );
      for (const kind of PRIVACY_REQUEST_KINDS) {
        this.set({ kind }, Number(rows.find((row) => row.kind === kind)?.count ?? 0));
      }
    },
  });
  new Gauge({
    name: 'privacy_request_oldest_open_age_seconds',
    help: 'Age of the oldest open privacy request, by kind, from when it was asked (the legal clock); 0 when none.',
    labelNames: ['kind'] as const,
    registers: [registry],
    async collect() {
      const { rows } = await pool.query<{ kind: string; age: string }>(
        `SELECT kind, extract(epoch FROM now() - min(requested_at)) AS age FROM privacy_request
          WHERE state IN ('pending', 'collecting', 'assembling', 'scheduled', 'erasing') GROUP BY kind`,
      );
      for (const kind of PRIVACY_REQUEST_KINDS) {
        this.set({ kind }, Math.max(0, Number(rows.find((row) => row.kind === kind)?.age ?? 0)));
      }
    },
  });
  new Gauge({
    name: 'privacy_steps_pending',
    help: 'Steps of running privacy requests that a participant has not answered yet, by service.',
    labelNames: ['service'] as const,
    registers: [registry],
    async collect() {
      const { rows } = await pool.query<{ service: string; count: string }>(
        `SELECT s.service, count(*) AS count
           FROM privacy_step s JOIN privacy_request r ON r.id = s.request_id
          WHERE s.state = 'pending'
            AND (r.state = 'collecting' OR (r.state = 'erasing' AND s.phase <= r.phase))
          GROUP BY s.service`,
      );
      for (const service of PRIVACY_PARTICIPANTS) {
        this.set({ service }, Number(rows.find((row) => row.service === service)?.count ?? 0));
      }
    },
  });
  new Gauge({
    name: 'privacy_export_purge_last_success_timestamp_seconds',
    help: 'When expired exports were last purged successfully (by the service or the CronJob); 0 before the first.',
    registers: [registry],
    async collect() {
      const { rows } = await pool.query<{ at: string | null }>(
        `SELECT extract(epoch FROM last_success_at) AS at FROM privacy_job WHERE job = 'purge-exports'`,
      );
      this.set(Number(rows[0]?.at ?? 0));
    },
  });
  return { finished };
}

export type PrivacyMetrics = ReturnType<typeof createPrivacyMetrics>;
