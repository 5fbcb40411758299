import { type Dashboard } from './model';
import { sel } from './promql';
import { barGauge, dashboard, instanceVariable, stat, thresholds, timeseries } from './panels';

// Privacy requests against their deadline, the saga's open steps, and the retention jobs (#22,
// docs/privacy.md). Every replica reports the same numbers, read from its database: max, never
// sum.

const DAY = 86_400;
const RETENTION_JOBS = 'job=~"tracking|auth"';

export function privacyDashboard(): Dashboard {
  const on = ['job="privacy"', 'instance=~"$instance"'];
  return dashboard({
    uid: 'tracking-privacy',
    title: 'Tracking / Privacy',
    description:
      'Export and erasure requests against the 20-working-day deadline, the steps each service has not answered yet, and when each retention job last deleted what we keep only for a while.',
    tags: ['privacy'],
    variables: [instanceVariable('privacy')],
    sections: [
      {
        title: 'Requests and their deadline',
        cells: [
          barGauge({
            title: 'Oldest open request',
            description:
              'Age of the oldest open request of each kind, from the request (an erasure’s 7-day cooling-off included). We answer within 20 working days: orange from 14 days (PrivacyRequestDeadline warns), red from 20 (it pages).',
            unit: 's',
            query: {
              expr: `max by (kind) (${sel('privacy_request_oldest_open_age_seconds', on)})`,
              legend: '{{kind}}',
            },
            thresholds: thresholds('green', ['orange', 14 * DAY], ['red', 20 * DAY]),
            noValue: 'not reported',
          }),
          stat({
            title: 'Open requests',
            description:
              'Requests not yet answered, by kind: exports being collected or assembled, erasures in their cooling-off period or being carried out.',
            unit: 'none',
            query: { expr: `max by (kind) (${sel('privacy_requests_open', on)})`, legend: '{{kind}}' },
            thresholds: thresholds('green'),
            w: 12,
            h: 8,
          }),
          barGauge({
            title: 'Steps waiting by service',
            description:
              'Export and erasure steps each service has not answered yet. A step open for an hour fires PrivacySagaStepStuck: the service is down or cannot handle the request.',
            unit: 'none',
            query: {
              expr: `max by (service) (${sel('privacy_steps_pending', on)})`,
              legend: '{{service}}',
            },
            thresholds: thresholds('green', ['orange', 1]),
            noValue: 'not reported',
          }),
          timeseries({
            title: 'Requests finished per day by outcome',
            description:
              'Requests that ended in the 24 hours before each point, by kind and outcome (ready, completed, cancelled, failed, expired).',
            unit: 'short',
            queries: [
              {
                // Each replica counts the requests it finished: sum over them.
                expr: `sum by (kind, outcome) (increase(${sel('privacy_requests_total', on)}[1d]))`,
                legend: '{{kind}} {{outcome}}',
              },
            ],
          }),
        ],
      },
      {
        title: 'Retention jobs',
        cells: [
          barGauge({
            title: 'Since each retention job last succeeded',
            description:
              'Time since each daily retention job last succeeded, read from its run records: orange after 26 h, red after 48 h (RetentionJobStale). A job that never ran has no bar.',
            unit: 's',
            query: {
              expr: `time() - (max by (task) (${sel('retention_job_last_success_timestamp_seconds', [RETENTION_JOBS])}) > 0)`,
              legend: '{{task}}',
            },
            thresholds: thresholds('green', ['orange', 26 * 3600], ['red', 2 * DAY]),
            noValue: 'no retention job reported',
          }),
          barGauge({
            title: 'Since expired exports were last purged',
            description:
              'Time since the privacy service last deleted the exports past their 7-day download window (its CronJob and its own timer): red after 48 h (RetentionJobStale, task privacy-exports).',
            unit: 's',
            query: {
              expr: `time() - (max(${sel('privacy_export_purge_last_success_timestamp_seconds', on)}) > 0)`,
              legend: 'privacy-exports',
            },
            thresholds: thresholds('green', ['orange', 26 * 3600], ['red', 2 * DAY]),
            noValue: 'never purged',
          }),
          timeseries({
            title: 'Rows purged per day by task',
            description:
              'Rows each retention job deleted in the 24 hours before each point: deleted meals and metrics, ended sessions, spent links, old devices.',
            unit: 'short',
            queries: [
              {
                expr: `max by (task) (increase(${sel('retention_job_rows_purged_total', [RETENTION_JOBS])}[1d]))`,
                legend: '{{task}}',
              },
            ],
            w: 24,
          }),
        ],
      },
    ],
  });
}
