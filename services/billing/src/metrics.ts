import type { Metrics } from '@tracking/kit';
import type pg from 'pg';
import { Counter, Gauge } from 'prom-client';

import { PLAN_NAMES } from './plans';
import { STATUSES } from './subscriptions';
import { HANDLED_EVENTS } from './stripe';

export const WEBHOOK_OUTCOMES = ['processed', 'duplicate', 'ignored', 'rejected', 'failed'] as const;

/**
 * The kit's metrics plus billing's own. Webhooks are counted by type (the handled ones, `other`, or
 * `unverified` when the signature did not check out) and outcome; subscriptions are counted
 * from the database at each scrape, so every replica reports the same truth.
 */
export function billingMetrics(metrics: Metrics, pool: pg.Pool) {
  const webhooks = new Counter({
    name: 'billing_webhooks_total',
    help: 'Stripe webhook deliveries, by event type and outcome (processed, duplicate, ignored, rejected, failed).',
    labelNames: ['type', 'outcome'] as const,
    registers: [metrics.registry],
  });
  for (const type of [...HANDLED_EVENTS, 'other']) {
    for (const outcome of ['processed', 'duplicate', 'ignored', 'failed'] as const) {
      webhooks.inc({ type, outcome }, 0);
    }
  }
  webhooks.inc({ type: 'unverified', outcome: 'rejected' }, 0);

  new Gauge({
    name: 'billing_subscriptions',
    help: 'Subscriptions by the plan paid for and Stripe status (none: never subscribed).',
    labelNames: ['plan', 'status'] as const,
    registers: [metrics.registry],
    async collect() {
      const { rows } = await pool.query<{ plan: string; status: string; count: number }>(
        'SELECT subscribed_plan AS plan, status, count(*)::int AS count FROM subscription GROUP BY 1, 2',
      );
      this.reset();
      for (const plan of PLAN_NAMES) for (const status of STATUSES) this.set({ plan, status }, 0);
      for (const row of rows) this.set({ plan: row.plan, status: row.status }, row.count);
    },
  });

  const dunningDowngrades = new Counter({
    name: 'billing_dunning_downgrades_total',
    help: "Users moved to the free plan because a failed payment's grace period ended.",
    registers: [metrics.registry],
  });
  dunningDowngrades.inc(0);

  const notCurrent = new Counter({
    name: 'billing_subscription_not_current_total',
    help: "Subscription events about a subscription that is not the user's live one: ignored for the plan, audited. Above 0, a user may be paying twice.",
    registers: [metrics.registry],
  });
  notCurrent.inc(0);

  const rejectionsUnrecorded = new Counter({
    name: 'billing_webhook_rejections_unrecorded_total',
    help: 'Refused webhook deliveries left out of the audit log by its per-minute limit (each minute that left some out has one summary entry).',
    registers: [metrics.registry],
  });
  rejectionsUnrecorded.inc(0);

  return { ...metrics, webhooks, dunningDowngrades, notCurrent, rejectionsUnrecorded };
}

export type BillingMetrics = ReturnType<typeof billingMetrics>;
