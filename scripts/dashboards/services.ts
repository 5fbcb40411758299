import { type Dashboard } from './model';
import { histogramQuantile, rate, sel, sumBy } from './promql';
import { dashboard, instanceVariable, stat, thresholds, timeseries } from './panels';

// RED dashboards, one per service, from one function

export interface Protocol {
  /** The counter of requests, with the status label, and the histogram of their duration. */
  requests: string;
  duration: string;
  /** What a request is called and the label naming which one. */
  noun: 'request' | 'call';
  by: 'route' | 'method';
  status: 'status_class' | 'code';
  /** The matcher selecting failures that are the server's fault, and how panels name them. */
  error: string;
  errorName: string;
}

export const HTTP: Protocol = {
  requests: 'http_server_requests_total',
  duration: 'http_server_request_duration_seconds',
  noun: 'request',
  by: 'route',
  status: 'status_class',
  error: 'status_class="5xx"',
  errorName: '5xx',
};

export const GRPC: Protocol = {
  requests: 'grpc_server_handled_total',
  duration: 'grpc_server_handling_seconds',
  noun: 'call',
  by: 'method',
  status: 'code',
  error: 'code=~"UNKNOWN|INTERNAL|UNAVAILABLE|DATA_LOSS|DEADLINE_EXCEEDED"',
  errorName: 'Server-error',
};

export interface Service {
  job: string;
  title: string;
  protocol: Protocol;
  /** What the service's traffic is, when RED does not tell its whole story. */
  note?: string;
}

export const SERVICES: readonly Service[] = [
  { job: 'gateway', title: 'Gateway', protocol: HTTP },
  { job: 'auth', title: 'Auth', protocol: GRPC },
  { job: 'tracking', title: 'Tracking', protocol: GRPC },
  { job: 'audit', title: 'Audit', protocol: GRPC },
  { job: 'ai-inference', title: 'AI inference', protocol: GRPC },
  {
    job: 'billing',
    title: 'Billing',
    protocol: GRPC,
    note: 'Stripe’s webhooks reach billing on its own port and are counted on the Billing dashboard, not here.',
  },
  {
    job: 'backup',
    title: 'Backup',
    protocol: GRPC,
    note: 'Backup is a batch service: its CronJobs do the work and are not scraped, so these gRPC panels show only on-demand runs and are usually empty. The Backups dashboard shows the runs, their age, the drills and the recovery point.',
  },
];

export function redDashboard({ job, title, protocol: p, note }: Service): Dashboard {
  const on = [`job="${job}"`, 'instance=~"$instance"'];
  const all = sel(p.requests, on);
  const failed = sel(p.requests, [...on, p.error]);
  const Subject = p === HTTP ? 'Request' : 'Call';
  const ratio = (by: string[]) => `${sumBy(by, rate(failed))} / ${sumBy(by, rate(all))}`;
  const quantile = (q: number) =>
    timeseries({
      title: `p${q * 100} latency by ${p.by}`,
      description: `${q * 100}th percentile of ${p.noun} duration per ${p.by}, from the histogram. ${
        q === 0.5
          ? 'The typical experience; if it moves, everything got slower.'
          : 'The slow tail; a rise here alone points at one dependency (database, Kafka, a provider) or at contention.'
      }`,
      unit: 's',
      queries: [{ expr: histogramQuantile(q, p.duration, on, [p.by]), legend: `{{${p.by}}}` }],
      w: 8,
    });
  const processPanel = (spec: { title: string; description: string; unit: string; expr: string }) =>
    timeseries({
      title: spec.title,
      description: spec.description,
      unit: spec.unit,
      queries: [{ expr: spec.expr, legend: '{{instance}}' }],
      w: 6,
    });
  return dashboard({
    uid: `tracking-red-${job}`,
    title: `Tracking / ${title} (RED)`,
    description: `Rate, errors and duration of the ${job} service’s ${p === HTTP ? 'HTTP requests' : 'gRPC calls'}, and its processes.${note === undefined ? '' : ` ${note}`}`,
    tags: ['red', job],
    variables: [instanceVariable(job)],
    sections: [
      {
        title: 'Overview',
        cells: [
          stat({
            title: `${Subject} rate`,
            description: `${Subject}s per second over all ${p.by}s. Compare with the same time last week; a sudden drop to zero with no errors means traffic no longer reaches the service.${note === undefined ? '' : ` ${note}`}`,
            unit: 'reqps',
            query: { expr: sumBy([], rate(all)), legend: 'rate' },
            thresholds: thresholds('blue'),
            noValue: 'no traffic',
            w: 8,
          }),
          stat({
            title: `${p.errorName} ratio`,
            description: `Share of ${p.noun}s that failed through the server’s fault (${p.error}). Orange above 1%, red above 5%; see the per-${p.by} panels below for where.`,
            unit: 'percentunit',
            query: {
              expr: `(${sumBy([], rate(failed))} or vector(0)) / ${sumBy([], rate(all))}`,
              legend: 'ratio',
            },
            thresholds: thresholds('green', ['orange', 0.01], ['red', 0.05]),
            noValue: 'no traffic',
            decimals: 2,
            w: 8,
          }),
          stat({
            title: 'p99 latency',
            description: `99th percentile of ${p.noun} duration over all ${p.by}s. Orange above 0.5 s, red above 1 s.`,
            unit: 's',
            query: { expr: histogramQuantile(0.99, p.duration, on, []), legend: 'p99' },
            thresholds: thresholds('green', ['orange', 0.5], ['red', 1]),
            noValue: 'no traffic',
            w: 8,
          }),
        ],
      },
      {
        title: 'Rate',
        cells: [
          timeseries({
            title: `${Subject}s by ${p.by}`,
            description: `${Subject}s per second per ${p.by}. Look for a ${p.by} that suddenly dominates (a client retrying in a loop, a scraper) or disappears.`,
            unit: 'reqps',
            queries: [{ expr: sumBy([p.by], rate(all)), legend: `{{${p.by}}}` }],
          }),
          timeseries({
            title: `${Subject}s by ${p.status}`,
            description: `${Subject}s per second by ${p.status}. Client errors (${
              p === HTTP ? '4xx' : 'INVALID_ARGUMENT, NOT_FOUND, PERMISSION_DENIED, UNAUTHENTICATED'
            }) are callers’ mistakes or probing; the server’s own failures are on the Errors row.`,
            unit: 'reqps',
            queries: [{ expr: sumBy([p.status], rate(all)), legend: `{{${p.status}}}` }],
            stack: true,
          }),
        ],
      },
      {
        title: 'Errors',
        cells: [
          timeseries({
            title: `${p.errorName} ratio by ${p.by}`,
            description: `Share of each ${p.by}’s ${p.noun}s that failed through the server’s fault. A ${p.by} with no such failure draws no line. One ${p.by} alone points at its dependency; all at once at the database, Kafka or a deploy.`,
            unit: 'percentunit',
            queries: [{ expr: ratio([p.by]), legend: `{{${p.by}}}` }],
          }),
          timeseries({
            title: `${p.errorName} ${p.noun}s by ${p.by}${p === HTTP ? '' : ' and code'}`,
            description: `Failed ${p.noun}s per second by ${p.by} and ${p.status}, to tell ${
              p === HTTP
                ? 'which route fails'
                : 'a timeout (DEADLINE_EXCEEDED) or an unreachable dependency (UNAVAILABLE) from a bug (UNKNOWN, INTERNAL)'
            }.`,
            unit: 'reqps',
            queries: [{ expr: sumBy([p.by, p.status], rate(failed)), legend: `{{${p.by}}} {{${p.status}}}` }],
          }),
        ],
      },
      { title: 'Duration', cells: [quantile(0.5), quantile(0.95), quantile(0.99)] },
      {
        title: 'Process',
        cells: [
          processPanel({
            title: 'Resident memory',
            description:
              'Resident memory per instance. Steady growth that never comes down is a leak; compare with the container’s memory limit to see how close it is to an OOM kill.',
            unit: 'bytes',
            expr: sumBy(['instance'], sel('process_resident_memory_bytes', on)),
          }),
          processPanel({
            title: 'Heap used',
            description:
              'V8 heap in use per instance. A sawtooth is healthy garbage collection; a rising floor is a leak in JavaScript objects.',
            unit: 'bytes',
            expr: sumBy(['instance'], sel('nodejs_heap_size_used_bytes', on)),
          }),
          processPanel({
            title: 'CPU',
            description:
              'CPU time per instance, in cores (100% = one core). Node runs JavaScript on one core: near 100% the event loop is saturated, whatever the CPU limit.',
            unit: 'percentunit',
            expr: sumBy(['instance'], rate(sel('process_cpu_seconds_total', on))),
          }),
          processPanel({
            title: 'Event loop lag p99',
            description:
              'How late the event loop runs timers (99th percentile) per instance. Above ~100 ms every request waits: look for synchronous work (crypto, large JSON) or CPU starvation.',
            unit: 's',
            expr: sumBy(['instance'], sel('nodejs_eventloop_lag_p99_seconds', on)),
          }),
        ],
      },
    ],
  });
}
