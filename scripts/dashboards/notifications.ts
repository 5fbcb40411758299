import { type Dashboard } from './model';
import { inRange, perMinute, rate, sel, sumBy } from './promql';
import { dashboard, highlight, instanceVariable, stat, thresholds, timeseries } from './panels';

// Notifications: every mail the platform sends (docs/notifications.md)

export function notificationsDashboard(): Dashboard {
  const on = ['job="notifications"', 'instance=~"$instance"'];
  const requests = (...matchers: string[]) => sel('notifications_sent_total', [...on, ...matchers]);
  return dashboard({
    uid: 'tracking-notifications',
    title: 'Tracking / Notifications',
    description:
      'Mail: requests by template and outcome (sent, bounced, suppressed, throttled, unknown recipient), SMTP retries, dead letters by reason, and the suppression list.',
    tags: ['notifications'],
    variables: [instanceVariable('notifications')],
    sections: [
      {
        title: 'Overview',
        cells: [
          stat({
            title: 'Mails sent (time range)',
            description: 'Messages the SMTP relay accepted in the selected time range.',
            unit: 'short',
            query: { expr: `${sumBy([], inRange(requests('outcome="sent"')))} or vector(0)` },
            thresholds: thresholds('blue'),
          }),
          stat({
            title: 'Dead-lettered (time range)',
            description:
              'Requests set aside on notifications.dlq.v1 instead of sent: invalid, a link off the web app, refused at DATA, or out of retries. Each is a mail someone did not get (NotificationDeadLetters).',
            unit: 'short',
            query: {
              expr: `${sumBy([], inRange(sel('notifications_dlq_total', on)))} or vector(0)`,
            },
            thresholds: thresholds('green', ['red', 1]),
          }),
          stat({
            title: 'Throttled (time range)',
            description:
              'Requests dropped because their address had its RECIPIENT_LIMIT of mails in the window: someone looping reset requests, or a runaway emitter.',
            unit: 'short',
            query: { expr: `${sumBy([], inRange(requests('outcome="throttled"')))} or vector(0)` },
            thresholds: thresholds('green', ['orange', 1]),
          }),
          stat({
            title: 'Suppressed addresses',
            description:
              'Addresses on the suppression list (refused permanently at RCPT TO): they get no mail at all until an operator lifts it. A jump is the relay refusing everyone (NotificationSuppressionGrowth).',
            unit: 'none',
            query: {
              expr: `max(${sel('notifications_suppression_list_size', on)}) or vector(0)`,
            },
            thresholds: thresholds('blue'),
          }),
        ],
      },
      {
        title: 'Delivery',
        cells: [
          timeseries({
            title: 'Requests by template and outcome',
            description:
              'notification.requested events handled per minute, by template and what became of them. Bounced (suppressed now), suppressed (skipped) and throttled are highlighted.',
            unit: 'opm',
            queries: [
              {
                expr: perMinute(sumBy(['template', 'outcome'], rate(requests()))),
                legend: '{{template}} {{outcome}}',
              },
            ],
            overrides: [highlight('.* (bounced|suppressed|throttled)$', 'orange')],
            bars: true,
            w: 12,
          }),
          timeseries({
            title: 'Retries by what failed',
            description:
              'Attempts that failed transiently and will be tried again: smtp (4xx, refused, timeout, TLS, AUTH) or contact_lookup (auth). A steady line with nothing sent is the relay down (NotificationSendFailures).',
            unit: 'opm',
            queries: [
              {
                expr: perMinute(sumBy(['reason'], rate(sel('notifications_retries_total', on)))),
                legend: '{{reason}}',
              },
            ],
            overrides: [highlight('smtp', 'red')],
            w: 12,
          }),
        ],
      },
      {
        title: 'Dead letters and suppression',
        cells: [
          timeseries({
            title: 'Dead letters by reason',
            description:
              'Requests sent to notifications.dlq.v1 per minute: invalid_request and link_outside_app are an emitter’s bug, smtp_rejected the relay refusing the message, retries_exhausted an outage longer than SMTP_RETRY_GIVE_UP_MS.',
            unit: 'opm',
            queries: [
              {
                expr: perMinute(sumBy(['reason'], rate(sel('notifications_dlq_total', on)))),
                legend: '{{reason}}',
              },
            ],
            overrides: [highlight('.*', 'red')],
            bars: true,
            w: 12,
          }),
          timeseries({
            title: 'Suppression list',
            description:
              'Addresses on the suppression list, counted from the database at each scrape (every replica reports the same number).',
            unit: 'none',
            queries: [
              {
                expr: `max(${sel('notifications_suppression_list_size', on)})`,
                legend: 'suppressed addresses',
              },
            ],
            w: 12,
          }),
        ],
      },
    ],
  });
}
