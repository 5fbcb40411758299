import type { MetricsRegistry } from '@tracking/kit';
import { NOTIFICATION_TEMPLATE_NAMES } from '@tracking/contracts';
import type pg from 'pg';
import { Counter, Gauge } from 'prom-client';

/** What became of a request; the labels of notifications_sent_total and the send log's outcomes. */
export const OUTCOMES = ['sent', 'suppressed', 'throttled', 'bounced', 'unknown_recipient'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** Why a request went to the dead-letter topic instead of a mailbox. */
export const DLQ_REASONS = [
  'invalid_request',
  'link_outside_app',
  'smtp_rejected',
  'retries_exhausted',
] as const;
export type DlqReason = (typeof DLQ_REASONS)[number];

/** Why a send is being tried again. */
export const RETRY_REASONS = ['smtp', 'contact_lookup'] as const;

/**
 * The service's own metrics. Every label value comes from the fixed sets above (template names
 * from the contract), never from a request: no address, token or link can reach a label.
 */
export function createNotificationMetrics(registry: MetricsRegistry, pool: pg.Pool) {
  const metrics = {
    sent: new Counter({
      name: 'notifications_sent_total',
      help: 'Notification requests handled, by template and outcome (sent, suppressed, throttled, bounced, unknown_recipient).',
      labelNames: ['template', 'outcome'] as const,
      registers: [registry],
    }),
    deadLettered: new Counter({
      name: 'notifications_dlq_total',
      help: 'Notification requests dead-lettered, by reason.',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    suppressed: new Counter({
      name: 'notifications_suppressed_total',
      help: 'Addresses added to the suppression list after a permanent SMTP refusal.',
      registers: [registry],
    }),
    retries: new Counter({
      name: 'notifications_retries_total',
      help: 'Delivery attempts that failed transiently and will be retried, by what failed.',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    suppressionListSize: new Gauge({
      name: 'notifications_suppression_list_size',
      help: 'Addresses on the suppression list, counted at scrape time.',
      registers: [registry],
      async collect() {
        const { rows } = await pool.query<{ count: string }>('SELECT count(*) AS count FROM suppression');
        this.set(Number(rows[0]?.count ?? 0));
      },
    }),
  };
  // Every series exists from start-up, so increase() sees the first event after a restart.
  for (const template of NOTIFICATION_TEMPLATE_NAMES) {
    for (const outcome of OUTCOMES) metrics.sent.inc({ template, outcome }, 0);
  }
  for (const reason of DLQ_REASONS) metrics.deadLettered.inc({ reason }, 0);
  for (const reason of RETRY_REASONS) metrics.retries.inc({ reason }, 0);
  metrics.suppressed.inc(0);
  return metrics;
}

export type NotificationMetrics = ReturnType<typeof createNotificationMetrics>;
