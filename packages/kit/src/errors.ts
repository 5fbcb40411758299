import { status as GrpcStatus } from '@grpc/grpc-js';
import type { z } from 'zod';

/**
 * Errors a domain module may throw. Transports map them to status codes (gRPC and HTTP)
 * in one place, so a handler never decides a status code itself. Messages are shown to
 * callers: they must never carry secrets or personal data.
 */
export type ErrorCode =
  | 'invalid_argument'
  | 'unauthenticated'
  | 'permission_denied'
  /** Allowed for the role, but only once the session has passed a second factor. */
  | 'mfa_required'
  | 'not_found'
  | 'already_exists'
  | 'conflict'
  | 'failed_precondition'
  | 'resource_exhausted'
  | 'unavailable'
  | 'internal'
  /** Sent over plain HTTP to an API served only over HTTPS (ASVS 4.1.2): refused, never redirected. */
  | 'https_required'
  /** The client's address is outside the countries the service is offered in (GeoIP). */
  | 'geo_blocked'
  /** A method the API does not define at a path it has (HTTP 405, with an Allow header). */
  | 'method_not_allowed';

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Field-level details safe to show to the caller (never values of secret fields). */
    readonly details: Record<string, string> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends DomainError {
  constructor(message: string, details: Record<string, string> = {}) {
    super('invalid_argument', message, details);
  }
}

/**
 * Each failed field's path and its first message, for a ValidationError's details; `root` names
 * a failure of the value as a whole.
 */
export function fieldErrors(error: z.ZodError, root = '(body)'): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const issue of error.issues) fields[issue.path.join('.') || root] ??= issue.message;
  return fields;
}

/** `value` through `schema`, or a ValidationError (400) naming every bad field. */
export function parseOrInvalid<S extends z.ZodType>(
  schema: S,
  value: unknown,
  options: { message?: string; root?: string } = {},
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ValidationError(options.message ?? 'invalid request', fieldErrors(result.error, options.root));
}

export class NotFoundError extends DomainError {
  constructor(message: string) {
    super('not_found', message);
  }
}

export class ConflictError extends DomainError {
  constructor(message: string) {
    super('already_exists', message);
  }
}

/** A write based on a version of the row that is no longer current (optimistic concurrency). */
export class StaleVersionError extends DomainError {
  constructor(currentVersion: number) {
    super('conflict', 'the record changed since you read it; read it again and retry', {
      currentVersion: String(currentVersion),
    });
  }
}

export class FailedPreconditionError extends DomainError {
  constructor(message: string) {
    super('failed_precondition', message);
  }
}

export class PermissionDeniedError extends DomainError {
  constructor(message = 'permission denied') {
    super('permission_denied', message);
  }
}

/** Too many attempts: the caller may try again after `retryAfterSeconds`. */
export class RateLimitedError extends DomainError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    details: Record<string, string> = {},
  ) {
    super('resource_exhausted', message, { ...details, retryAfterSeconds: String(retryAfterSeconds) });
  }
}

export class UnauthenticatedError extends DomainError {
  constructor(message = 'authentication required') {
    super('unauthenticated', message);
  }
}

const grpcByCode: Record<ErrorCode, GrpcStatus> = {
  invalid_argument: GrpcStatus.INVALID_ARGUMENT,
  unauthenticated: GrpcStatus.UNAUTHENTICATED,
  permission_denied: GrpcStatus.PERMISSION_DENIED,
  mfa_required: GrpcStatus.PERMISSION_DENIED,
  not_found: GrpcStatus.NOT_FOUND,
  already_exists: GrpcStatus.ALREADY_EXISTS,
  conflict: GrpcStatus.ABORTED,
  failed_precondition: GrpcStatus.FAILED_PRECONDITION,
  resource_exhausted: GrpcStatus.RESOURCE_EXHAUSTED,
  unavailable: GrpcStatus.UNAVAILABLE,
  internal: GrpcStatus.INTERNAL,
  // The edge codes below share statuses with codes above; listed last, so a bare status never maps to them.
  https_required: GrpcStatus.FAILED_PRECONDITION,
  geo_blocked: GrpcStatus.PERMISSION_DENIED,
  method_not_allowed: GrpcStatus.UNIMPLEMENTED,
};

const httpByCode: Record<ErrorCode, number> = {
  invalid_argument: 400,
  unauthenticated: 401,
  permission_denied: 403,
  mfa_required: 403,
  not_found: 404,
  already_exists: 409,
  conflict: 409,
  failed_precondition: 412,
  resource_exhausted: 429,
  unavailable: 503,
  internal: 500,
  // 403, not 421 Misdirected Request: 421 is about a connection reused for the wrong origin, and
  // clients and proxies retry it on a new connection, which would only be refused again.
  https_required: 403,
  geo_blocked: 403,
  method_not_allowed: 405,
};

const ERROR_CODES = Object.keys(grpcByCode) as ErrorCode[];

// Several codes share a gRPC status (mfa_required travels as PERMISSION_DENIED); the first
// listed is the one a bare status maps back to.
const codeByGrpc = new Map<GrpcStatus, ErrorCode>();
// method_not_allowed is the gateway's own answer to an HTTP method it does not route: a service's
// UNIMPLEMENTED is a fault on our side (internal), never the caller's choice of method.
const HTTP_ONLY: ReadonlySet<ErrorCode> = new Set(['method_not_allowed']);
for (const code of ERROR_CODES) {
  if (!HTTP_ONLY.has(code) && !codeByGrpc.has(grpcByCode[code])) codeByGrpc.set(grpcByCode[code], code);
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as string[]).includes(value);
}

export function grpcStatusOf(code: ErrorCode): GrpcStatus {
  return grpcByCode[code];
}

export function httpStatusOf(code: ErrorCode): number {
  return httpByCode[code];
}

/** The error code a gRPC status maps back to; deadline and unknown statuses count as unavailable/internal. */
export function errorCodeOfGrpc(status: GrpcStatus): ErrorCode {
  if (status === GrpcStatus.DEADLINE_EXCEEDED) return 'unavailable';
  return codeByGrpc.get(status) ?? 'internal';
}
