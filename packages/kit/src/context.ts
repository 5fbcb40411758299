import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/**
 * The request context that follows one piece of work across async calls, gRPC hops and
 * Kafka messages. It does not depend on OpenTelemetry being started, so correlation ids
 * hold even where tracing is off.
 */
export interface RequestContext {
  correlationId: string;
  /** The end user's address and agent as the gateway saw them, for audit entries. */
  clientIp?: string | undefined;
  userAgent?: string | undefined;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Inbound correlation ids are accepted only in this shape, so a header cannot inject log content. */
export const CORRELATION_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$/;
export const CORRELATION_HEADER = 'x-correlation-id';
/** The span attribute, and the W3C baggage entry, that carry the correlation id. */
export const CORRELATION_ATTRIBUTE = 'correlation.id';
export const CLIENT_IP_HEADER = 'x-client-ip';
export const USER_AGENT_HEADER = 'x-client-user-agent';
/** gRPC metadata carrying the caller's session token from the gateway to auth; never logged. */
export const SESSION_TOKEN_HEADER = 'x-session-token';
/** gRPC metadata carrying a calling service's own credential, for methods only one service may call; never logged. */
export const SERVICE_TOKEN_HEADER = 'x-service-token';

export function isCorrelationId(value: unknown): value is string {
  return typeof value === 'string' && CORRELATION_ID_PATTERN.test(value);
}

export function newCorrelationId(): string {
  return randomUUID();
}

export function runWithContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

export function currentContext(): RequestContext | undefined {
  return storage.getStore();
}

export function currentCorrelationId(): string | undefined {
  return storage.getStore()?.correlationId;
}
