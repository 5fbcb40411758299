import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
  type OpenMetricsContentType,
} from 'prom-client';

/** A registry in either exposition format (services use OpenMetrics; some unit tests the classic one). */
export type MetricsRegistry = Registry | Registry<OpenMetricsContentType>;

/**
 * The metrics the kit itself records. Each service process makes one set and passes it to the
 * components; label values come from small fixed sets (topics, routes, status classes), never
 * from user input, so cardinality stays bounded.
 *
 * The registry speaks OpenMetrics, the format that carries exemplars: a security event's
 * counter links to an example trace (security.ts). Prometheus asks for it by default.
 */
export function createMetrics(registry: MetricsRegistry = openMetricsRegistry()) {
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequests: new Counter({
      name: 'http_server_requests_total',
      help: 'HTTP requests served, by method, route template and status class.',
      labelNames: ['method', 'route', 'status_class'] as const,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'http_server_request_duration_seconds',
      help: 'HTTP request duration by method and route template.',
      labelNames: ['method', 'route'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    grpcHandled: new Counter({
      name: 'grpc_server_handled_total',
      help: 'gRPC calls handled, by method and status code.',
      labelNames: ['method', 'code'] as const,
      registers: [registry],
    }),
    grpcRefused: grpcRefusedCounter(registry),
    grpcCertificateExpiry: certificateExpiryGauge(registry),
    grpcDuration: new Histogram({
      name: 'grpc_server_handling_seconds',
      help: 'gRPC handling duration by method.',
      labelNames: ['method'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    consumed: new Counter({
      name: 'kafka_consumer_messages_total',
      help: 'Messages a consumer finished with, by topic and outcome (processed, duplicate, dead_lettered).',
      labelNames: ['topic', 'outcome'] as const,
      registers: [registry],
    }),
    consumerLag: new Gauge({
      name: 'kafka_consumer_lag_messages',
      help: "Messages on a topic beyond the consumer group's committed offsets, summed over partitions.",
      labelNames: ['topic'] as const,
      registers: [registry],
    }),
    consumerRetries: new Counter({
      name: 'kafka_consumer_retries_total',
      help: 'Failed processing attempts that will be retried, by topic.',
      labelNames: ['topic'] as const,
      registers: [registry],
    }),
    deadLettered: new Counter({
      name: 'kafka_dlq_messages_total',
      help: 'Messages routed to a dead-letter topic, by source topic.',
      labelNames: ['topic'] as const,
      registers: [registry],
    }),
    outboxPublished: new Counter({
      name: 'outbox_events_published_total',
      help: 'Outbox rows published to Kafka, by topic.',
      labelNames: ['topic'] as const,
      registers: [registry],
    }),
    outboxFailures: new Counter({
      name: 'outbox_publish_failures_total',
      help: 'Relay batches that failed and will be retried.',
      registers: [registry],
    }),
    outboxBacklog: new Gauge({
      name: 'outbox_backlog',
      help: 'Outbox rows not yet published, as last seen by the relay (counted up to 100000, at most every 10 s while catching up).',
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

function openMetricsRegistry(): Registry<OpenMetricsContentType> {
  const registry = new Registry<OpenMetricsContentType>();
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  return registry;
}

/** Why a gRPC call was refused: the `reason` of `grpc.refused` and `grpc_refused_total`. */
export const GRPC_REFUSAL_REASONS = ['client_certificate_invalid', 'caller_not_allowed'] as const;
export type GrpcRefusalReason = (typeof GRPC_REFUSAL_REASONS)[number];

/**
 * gRPC calls this process's server refused before any handler ran (grpc-tls.ts callerCheck),
 * by reason. Both reasons start at 0 so the first refusal is an increase.
 */
function grpcRefusedCounter(registry: MetricsRegistry) {
  const counter = new Counter({
    name: 'grpc_refused_total',
    help: 'gRPC calls refused by the caller check, by reason (client_certificate_invalid, caller_not_allowed).',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  for (const reason of GRPC_REFUSAL_REASONS) counter.inc({ reason }, 0);
  return counter;
}

/** When each certificate this process presents ends (Unix seconds); grpc-tls.ts adds one per set of files. */
const certificateExpiries = new Set<() => number>();

export function trackCertificateExpiry(expiresAt: () => number): void {
  certificateExpiries.add(expiresAt);
}

/**
 * The soonest end of the certificates this process presents over gRPC, read at scrape time, so
 * a renewal the process has re-read shows at once. No series without TLS. Alerted on before a
 * renewal that never happened becomes an outage (GrpcCertificateExpiringSoon).
 */
function certificateExpiryGauge(registry: MetricsRegistry) {
  return new Gauge({
    name: 'grpc_tls_certificate_expiry_timestamp_seconds',
    help: 'When the soonest-ending certificate this process presents over gRPC expires (Unix time).',
    registers: [registry],
    collect() {
      this.reset();
      const ends = [...certificateExpiries].map((expiresAt) => expiresAt());
      if (ends.length > 0) this.set(Math.min(...ends));
    },
  });
}
