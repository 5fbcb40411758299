import { trace } from '@opentelemetry/api';
import { SEVERE_SECURITY_EVENTS, type SecurityEventName } from '@tracking/contracts';
import { Counter, Gauge, Registry } from 'prom-client';

import { currentContext } from './context';
import type { Logger } from './log';
import type { Metrics, MetricsRegistry } from './metrics';

const SEVERE: ReadonlySet<SecurityEventName> = new Set(SEVERE_SECURITY_EVENTS);

const TOTAL = 'security_events_total';
const LAST_SEEN = 'security_event_last_seen_timestamp_seconds';
/** OpenMetrics caps an exemplar's label set at 128 characters, names included. */
const EXEMPLAR_LIMIT = 128;

export interface SecurityEvents {
  /**
   * Logs the event (JSON, UTC, with the correlation id, trace and the client's address when a
   * request is being served), counts it with the trace as
   * an exemplar, and makes it the event's latest example for alert notifications. `fields`
   * must hold nothing secret: identifiers and fixed reasons, never a password, code or token.
   */
  record(event: SecurityEventName, fields?: Record<string, unknown>, message?: string): void;
}

/**
 * The security-event recorder of one service. `events` are the ones this service records:
 * each starts at 0, so `increase()` sees the first occurrence and a dashboard shows a flat
 * line rather than "No data".
 *
 * The latest occurrence of each event is also a gauge whose labels are its correlation and
 * trace ids. That is one live series per event (each new example replaces the last), which
 * is what lets an alert's notification carry an id that leads straight to the log lines and
 * audit entries: Prometheus' alert templates can query series, not exemplars.
 */
export function createSecurityEvents(
  deps: { log: Logger; metrics: Pick<Metrics, 'registry'> },
  events: readonly SecurityEventName[],
): SecurityEvents {
  const { count, lastSeen, examples } = securityMetrics(deps.metrics.registry);
  for (const event of events) count(event, 0);

  return {
    record(event, fields = {}, message = event) {
      const clientIp = currentContext()?.clientIp;
      const level = SEVERE.has(event) ? 'error' : 'warn';
      deps.log[level]({ ...fields, ...(clientIp ? { clientIp } : {}), event, security: true }, message);
      const ids = currentIds();
      count(event, 1, exemplarOf(ids));
      const previous = examples.get(event);
      if (previous) lastSeen.remove(previous);
      const labels = { event, correlation_id: ids.correlation_id ?? '', trace_id: ids.trace_id ?? '' };
      examples.set(event, labels);
      lastSeen.set(labels, Date.now() / 1000);
    },
  };
}

function currentIds(): { correlation_id?: string; trace_id?: string } {
  const ids: { correlation_id?: string; trace_id?: string } = {};
  const correlationId = currentContext()?.correlationId;
  if (correlationId) ids.correlation_id = correlationId;
  const spanContext = trace.getActiveSpan()?.spanContext();
  if (spanContext && spanContext.traceId !== '0'.repeat(32)) ids.trace_id = spanContext.traceId;
  return ids;
}

/** The trace id always fits; the correlation id only when the pair stays within the limit. */
function exemplarOf(ids: { correlation_id?: string; trace_id?: string }): Record<string, string> {
  const exemplar: Record<string, string> = {};
  if (ids.trace_id) exemplar.trace_id = ids.trace_id;
  const size = Object.entries(exemplar).reduce((sum, [name, value]) => sum + name.length + value.length, 0);
  if (ids.correlation_id && size + 'correlation_id'.length + ids.correlation_id.length <= EXEMPLAR_LIMIT)
    exemplar.correlation_id = ids.correlation_id;
  return exemplar;
}

interface SecurityMetrics {
  /** Adds to an event's count, with the exemplar where the registry's format can carry one. */
  count: (event: SecurityEventName, value: number, exemplar?: Record<string, string>) => void;
  lastSeen: Gauge;
  /** The labels of each event's live example series, so the next one can replace it. */
  examples: Map<string, Record<string, string>>;
}

// One set per registry, however many recorders share it (a test builds several apps on one).
const byRegistry = new WeakMap<MetricsRegistry, SecurityMetrics>();

function securityMetrics(registry: MetricsRegistry): SecurityMetrics {
  const existing = byRegistry.get(registry);
  if (existing) return existing;
  // prom-client refuses exemplars on a registry in the classic format (some unit tests use one).
  const exemplars = registry.contentType === Registry.OPENMETRICS_CONTENT_TYPE;
  const total = new Counter({
    name: TOTAL,
    help: 'Security events by stable event name (docs/security-events.md); exemplars carry the trace and correlation ids.',
    labelNames: ['event'],
    enableExemplars: exemplars,
    registers: [registry],
  });
  const made: SecurityMetrics = {
    count: exemplars
      ? (event, value, exemplar) =>
          total.inc({
            labels: { event },
            value,
            // None rather than an empty one: an exemplar without a trace leads nowhere.
            ...(exemplar && Object.keys(exemplar).length ? { exemplarLabels: exemplar } : {}),
          })
      : (event, value) => total.inc({ event }, value),
    lastSeen: new Gauge({
      name: LAST_SEEN,
      help: "When each security event last happened (Unix time), labelled with that occurrence's correlation and trace ids: one series per event.",
      labelNames: ['event', 'correlation_id', 'trace_id'],
      registers: [registry],
    }),
    examples: new Map(),
  };
  byRegistry.set(registry, made);
  return made;
}
