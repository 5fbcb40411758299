import { type Dashboard } from './model';
import { inRange, perMinute, rate, sel, sumBy } from './promql';
import { dashboard, highlight, instanceVariable, stat, thresholds, timeseries } from './panels';

// Billing

export function billingDashboard(): Dashboard {
  const on = ['job="billing"', 'instance=~"$instance"'];
  const webhooks = (...matchers: string[]) => sel('billing_webhooks_total', [...on, ...matchers]);
  // Counted from the database at each scrape: every replica reports the same numbers.
  const subscriptions = (...matchers: string[]) =>
    `max by (plan, status) (${sel('billing_subscriptions', [...on, ...matchers])})`;
  return dashboard({
    uid: 'tracking-billing',
    title: 'Tracking / Billing',
    description:
      'Stripe’s webhooks (by event type and outcome, rejected ones above all), subscriptions by plan and Stripe status, and downgrades after failed payments.',
    tags: ['billing'],
    variables: [instanceVariable('billing')],
    sections: [
      {
        title: 'Overview',
        cells: [
          stat({
            title: 'Webhooks received (time range)',
            description:
              'Stripe deliveries to /webhooks/stripe in the selected time range, whatever their outcome. Stripe only sends when something changes, so a quiet day is normal.',
            unit: 'short',
            query: { expr: `${sumBy([], inRange(webhooks()))} or vector(0)` },
            thresholds: thresholds('blue'),
          }),
          stat({
            title: 'Rejected webhooks (time range)',
            description:
              'Deliveries refused with 400 because the signature did not verify over the body, the timestamp was over 5 minutes old, or the body could not be read: not from Stripe, or a signing secret billing does not have. Five in 10 minutes pages security (BillingWebhookRejections).',
            unit: 'short',
            query: { expr: `${sumBy([], inRange(webhooks('outcome="rejected"')))} or vector(0)` },
            thresholds: thresholds('green', ['red', 1]),
          }),
          stat({
            title: 'Failed webhooks (time range)',
            description:
              'Deliveries billing could not apply (500): Stripe retries them for up to three days, and until then plans here lag behind Stripe (BillingWebhookFailures).',
            unit: 'short',
            query: { expr: `${sumBy([], inRange(webhooks('outcome="failed"')))} or vector(0)` },
            thresholds: thresholds('green', ['orange', 1]),
          }),
          stat({
            title: 'Paying subscriptions',
            description:
              'Subscriptions to a paid plan (pro, team) that Stripe reports active or trialing. past_due and unpaid are in dunning, counted on the right.',
            unit: 'none',
            query: {
              expr: `sum(${subscriptions('plan=~"pro|team"', 'status=~"active|trialing"')}) or vector(0)`,
            },
            thresholds: thresholds('blue'),
            w: 3,
          }),
          stat({
            title: 'In dunning',
            description:
              'Paid subscriptions whose payment failed (past_due, unpaid). Each is downgraded to free when BILLING_GRACE_DAYS pass without a payment.',
            unit: 'none',
            query: {
              expr: `sum(${subscriptions('plan=~"pro|team"', 'status=~"past_due|unpaid"')}) or vector(0)`,
            },
            thresholds: thresholds('green', ['orange', 1]),
            w: 3,
          }),
        ],
      },
      {
        title: 'Webhooks',
        cells: [
          timeseries({
            title: 'Webhooks by type and outcome',
            description:
              'Stripe deliveries per minute by event type and outcome: processed, duplicate (a retry of one already applied: harmless), ignored (an event type billing does not act on), rejected (type unverified) and failed. Failures and rejections are highlighted.',
            unit: 'opm',
            queries: [
              {
                expr: perMinute(sumBy(['type', 'outcome'], rate(webhooks()))),
                legend: '{{type}} {{outcome}}',
              },
            ],
            overrides: [highlight('.* (failed|rejected)$', 'red')],
            bars: true,
          }),
          timeseries({
            title: 'Rejected webhooks',
            description:
              'The billing.webhook.rejected security event per minute. Click an exemplar dot for an example trace; the Security overview’s table holds the latest correlation id to search the logs for.',
            unit: 'opm',
            queries: [
              {
                expr: perMinute(
                  sumBy(
                    ['event'],
                    rate(sel('security_events_total', [...on, 'event="billing.webhook.rejected"'])),
                  ),
                ),
                legend: '{{event}}',
                exemplar: true,
              },
            ],
            overrides: [highlight('.*', 'red')],
          }),
        ],
      },
      {
        title: 'Subscriptions',
        cells: [
          timeseries({
            title: 'Subscriptions by plan and status',
            description:
              'Subscriptions by the plan paid for and their Stripe status (active, trialing, past_due, unpaid, canceled, incomplete, ...), from billing’s database. Users who never subscribed (status none) are left out.',
            unit: 'none',
            queries: [{ expr: subscriptions('status!="none"'), legend: '{{plan}} {{status}}' }],
            stack: true,
            w: 16,
          }),
          timeseries({
            title: 'Dunning downgrades per day',
            description:
              'Users moved to the free plan in the 24 hours before each point because a failed payment’s grace period (BILLING_GRACE_DAYS) ended. A jump points at a payment problem on Stripe’s side or a card-expiry wave.',
            unit: 'short',
            queries: [
              {
                expr: sumBy([], `increase(${sel('billing_dunning_downgrades_total', on)}[1d])`),
                legend: 'downgrades',
              },
            ],
            bars: true,
            w: 8,
          }),
        ],
      },
    ],
  });
}
