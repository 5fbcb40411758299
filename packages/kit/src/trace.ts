import { ROOT_CONTEXT, context, propagation, trace, type Context } from '@opentelemetry/api';

/**
 * Trace helpers on the OpenTelemetry API alone (no SDK), so any module may use them; they are
 * no-ops until a service has started telemetry.
 */
export function tracer() {
  return trace.getTracer('@tracking/kit');
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
