import { ROOT_CONTEXT, context, propagation, trace, type Context } from '@opentelemetry/api';

import { CORRELATION_ATTRIBUTE } from './context';

/**
 * Trace helpers on the OpenTelemetry API alone (no SDK), so any module may use them; they are
 * no-ops until a service has started telemetry.
 */
export function tracer() {
  return trace.getTracer('@tracking/kit');
}

/**
 * `ctx` with the correlation id as W3C baggage, so it travels in the `baggage` header of every
 * gRPC call and Kafka record made within it, beside the trace context (the gateway sets it).
 */
export function withCorrelationBaggage(correlationId: string, ctx: Context = context.active()): Context {
  const baggage = propagation.getBaggage(ctx) ?? propagation.createBaggage();
  return propagation.setBaggage(ctx, baggage.setEntry(CORRELATION_ATTRIBUTE, { value: correlationId }));
}

/** The correlation id carried as baggage in `ctx`, if any. */
export function correlationIdFromBaggage(ctx: Context = context.active()): string | undefined {
  return propagation.getBaggage(ctx)?.getEntry(CORRELATION_ATTRIBUTE)?.value;
}

/** W3C trace context (and baggage) of `ctx` as plain string headers. */
export function injectTraceHeaders(ctx: Context = context.active()): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier;
}

/** The context carried by W3C headers, starting from the root (never the caller's context). */
export function extractTraceContext(headers: Record<string, string | undefined>): Context {
  return propagation.extract(ROOT_CONTEXT, headers);
}
