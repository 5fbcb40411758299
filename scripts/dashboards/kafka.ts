import { type Dashboard } from './model';
import { inRange, perMinute, rate, sel, sumBy } from './promql';
import { dashboard, highlight, labelVariable, stat, thresholds, timeseries } from './panels';

// Kafka and outbox

export function kafkaDashboard(): Dashboard {
  const on = ['job=~"$job"'];
  return dashboard({
    uid: 'tracking-kafka',
    title: 'Tracking / Kafka and outbox',
    description:
      'Kafka consumers (lag, outcomes, retries, dead letters) and the transactional outboxes that publish events.',
    tags: ['kafka'],
    variables: [labelVariable('job', 'Service', 'process_resident_memory_bytes')],
    sections: [
      {
        title: 'Overview',
        cells: [
          stat({
            title: 'Largest consumer lag',
            description:
              'The largest backlog any consumer group has on any topic. Orange above 1 000 messages, red above 10 000; see the lag panel for which.',
            unit: 'short',
            query: { expr: `max(${sel('kafka_consumer_lag_messages', on)})`, legend: 'lag' },
            thresholds: thresholds('green', ['orange', 1000], ['red', 10_000]),
            noValue: 'no consumers',
          }),
          stat({
            title: 'Dead-lettered (time range)',
            description:
              'Messages sent to a dead-letter topic over the selected time range. Each one is an event a service gave up on: find it in the DLQ, fix the cause and replay it.',
            unit: 'short',
            query: { expr: `${sumBy([], inRange(sel('kafka_dlq_messages_total', on)))} or vector(0)` },
            thresholds: thresholds('green', ['red', 1]),
          }),
          stat({
            title: 'Outbox backlog',
            description:
              'Outbox rows waiting to be published, summed over services. Non-zero for long means the relay cannot reach Kafka or is falling behind.',
            unit: 'short',
            query: { expr: sumBy([], `max by (job) (${sel('outbox_backlog', on)})`), legend: 'backlog' },
            thresholds: thresholds('green', ['orange', 100], ['red', 1000]),
            noValue: 'no outbox',
          }),
          stat({
            title: 'Outbox publish failures (time range)',
            description:
              'Relay batches that failed over the selected time range (they are retried). Anything above zero means Kafka refused or timed out; check the broker and the relay logs.',
            unit: 'short',
            query: { expr: `${sumBy([], inRange(sel('outbox_publish_failures_total', on)))} or vector(0)` },
            thresholds: thresholds('green', ['orange', 1]),
          }),
        ],
      },
      {
        title: 'Consumers',
        cells: [
          timeseries({
            title: 'Consumer lag by service and topic',
            description:
              'Messages on each topic beyond what the service’s consumer group committed (every replica reports the group’s lag, hence max). Lag that keeps growing means the consumer is too slow or stuck on one message; see retries.',
            unit: 'short',
            queries: [
              {
                expr: `max by (job, topic) (${sel('kafka_consumer_lag_messages', on)})`,
                legend: '{{job}} {{topic}}',
              },
            ],
          }),
          timeseries({
            title: 'Messages consumed by outcome',
            description:
              'Messages each consumer finished with per second: processed, duplicate (already handled: redelivery, harmless) and dead_lettered (highlighted, given up on). Many duplicates follow a rebalance or a crash.',
            unit: 'ops',
            queries: [
              {
                expr: sumBy(['job', 'topic', 'outcome'], rate(sel('kafka_consumer_messages_total', on))),
                legend: '{{job}} {{topic}} {{outcome}}',
              },
            ],
            overrides: [highlight('.* dead_lettered$', 'red')],
          }),
          timeseries({
            title: 'Retries by service and topic',
            description:
              'Failed processing attempts per minute that will be retried. Short bursts are transient errors (a database failover); a steady rate is a message that keeps failing and will end in the DLQ.',
            unit: 'opm',
            queries: [
              {
                expr: perMinute(sumBy(['job', 'topic'], rate(sel('kafka_consumer_retries_total', on)))),
                legend: '{{job}} {{topic}}',
              },
            ],
          }),
          timeseries({
            title: 'Dead-lettered messages by service and source topic',
            description:
              'Messages routed to a dead-letter topic per minute, by the topic they came from. Any bar is data a service did not apply.',
            unit: 'opm',
            queries: [
              {
                expr: perMinute(sumBy(['job', 'topic'], rate(sel('kafka_dlq_messages_total', on)))),
                legend: '{{job}} {{topic}}',
              },
            ],
            bars: true,
          }),
        ],
      },
      {
        title: 'Outbox',
        cells: [
          timeseries({
            title: 'Outbox backlog by service',
            description:
              'Unsent outbox rows per service (counted up to 100 000, at most every 10 s while catching up; every replica sees the same table, hence max). It should return to zero after each burst.',
            unit: 'short',
            queries: [{ expr: `max by (job) (${sel('outbox_backlog', on)})`, legend: '{{job}}' }],
            w: 8,
          }),
          timeseries({
            title: 'Events published by topic',
            description:
              'Outbox rows published to Kafka per second, by service and topic. It should follow the write traffic; flat at zero with a growing backlog means the relay is stuck.',
            unit: 'ops',
            queries: [
              {
                expr: sumBy(['job', 'topic'], rate(sel('outbox_events_published_total', on))),
                legend: '{{job}} {{topic}}',
              },
            ],
            w: 8,
          }),
          timeseries({
            title: 'Outbox publish failures',
            description:
              'Relay batches that failed per minute, by service. Failures are retried; a steady rate means Kafka is unreachable or refusing writes.',
            unit: 'opm',
            queries: [
              {
                expr: perMinute(sumBy(['job'], rate(sel('outbox_publish_failures_total', on)))),
                legend: '{{job}}',
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
