import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  BatchSpanProcessor,
  NoopSpanProcessor,
  type ReadableSpan,
  type Span,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { z } from 'zod';

import { loadConfig } from './config';
import { CORRELATION_ATTRIBUTE, currentCorrelationId } from './context';

/**
 * OpenTelemetry bootstrap. A service imports this module first (see its instrumentation.ts),
 * before anything that loads http, express, grpc or pg, because the instrumentations patch
 * those modules as they are required.
 *
 * Kafka is traced by our own helper (kafka.ts), not by the kafkajs instrumentation: the
 * outbox relay publishes rows written by many requests in one batch, and each message must
 * carry the trace context of the request that wrote it, which that instrumentation would
 * overwrite with the relay's own context.
 */
const telemetryEnv = z.object({
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  OTEL_SDK_DISABLED: z.enum(['true', 'false']).default('false'),
  SERVICE_VERSION: z.string().default('0.0.0-dev'),
  /** How long spans wait in the batch before export (tests shorten it). */
  OTEL_BSP_SCHEDULE_DELAY: z.coerce.number().int().positive().default(5_000),
});

export interface Telemetry {
  shutdown(): Promise<void>;
}

/**
 * Stamps every span with the correlation id of the work it belongs to: database queries and
 * outgoing calls as well as the spans our own code starts, so any span of a trace leads back to
 * the request's log lines and audit entries.
 */
export class CorrelationSpanProcessor implements SpanProcessor {
  onStart(span: Span): void {
    const correlationId = currentCorrelationId();
    if (correlationId) span.setAttribute(CORRELATION_ATTRIBUTE, correlationId);
  }
  onEnd(_span: ReadableSpan): void {}
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

export function startTelemetry(serviceName: string): Telemetry {
  const env = loadConfig(telemetryEnv);
  if (env.OTEL_SDK_DISABLED === 'true') return { shutdown: async () => {} };

  // Without a collector the SDK still traces (a no-op processor, nothing exported), so trace and
  // span ids exist for logs and propagate to the next service; with no processor at all the SDK
  // would register no tracer and every id would be zeros.
  const spanProcessors: SpanProcessor[] = [
    new CorrelationSpanProcessor(),
    env.OTEL_EXPORTER_OTLP_ENDPOINT
      ? new BatchSpanProcessor({
          exporter: new OTLPTraceExporter(),
          scheduledDelayMillis: env.OTEL_BSP_SCHEDULE_DELAY,
        })
      : new NoopSpanProcessor(),
  ];
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: serviceName,
      [ATTR_SERVICE_VERSION]: env.SERVICE_VERSION,
    }),
    spanProcessors,
    instrumentations: [
      new HttpInstrumentation({
        // Probes and scrapes would drown the traces that matter.
        ignoreIncomingRequestHook: (request) => /^\/(healthz|readyz|metrics)/.test(request.url ?? ''),
      }),
      // A span per middleware (body parser, helmet, ...) is noise; routers and handlers stay.
      new ExpressInstrumentation({ ignoreLayersType: [ExpressLayerType.MIDDLEWARE] }),
      new GrpcInstrumentation(),
      new PgInstrumentation({ requireParentSpan: true }),
    ],
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}
