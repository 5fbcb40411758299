import type { Metrics } from '@tracking/kit';
import { Counter, Gauge, Histogram } from 'prom-client';

/** The AI metrics (names as docs/observability.md lists them), on the service's registry. */
export function createAiMetrics(metrics: Metrics) {
  const registers = [metrics.registry];
  return {
    requests: new Counter({
      name: 'ai_requests_total',
      help: 'Provider calls by provider, operation and outcome (success, invalid_output, malformed, unavailable, rejected, circuit_open).',
      labelNames: ['provider', 'operation', 'outcome'] as const,
      registers,
    }),
    duration: new Histogram({
      name: 'ai_request_duration_seconds',
      help: "Provider call duration, including the SDK's retries, by provider and operation.",
      labelNames: ['provider', 'operation'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60],
      registers,
    }),
    tokens: new Counter({
      name: 'ai_tokens_total',
      help: 'Tokens the providers reported, by provider, operation and direction (input, output).',
      labelNames: ['provider', 'operation', 'direction'] as const,
      registers,
    }),
    circuitOpen: new Gauge({
      name: 'ai_circuit_open',
      help: "1 while a provider's circuit breaker is open or half-open (calls go to the next provider), else 0.",
      labelNames: ['provider'] as const,
      registers,
    }),
    results: new Counter({
      name: 'ai_results_total',
      help: 'Estimates and reviews by operation and result (success or the failure reason).',
      labelNames: ['operation', 'result'] as const,
      registers,
    }),
  };
}
export type AiMetrics = ReturnType<typeof createAiMetrics>;
