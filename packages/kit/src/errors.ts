import { status as GrpcStatus } from '@grpc/grpc-js';

/**
 * Errors a domain module may throw. Transports map them to status codes (gRPC and HTTP)
 * in one place, so a handler never decides a status code itself. Messages are shown to
 * callers: they must never carry secrets or personal data.
 */
export type ErrorCode =
  | 'invalid_argument'
  | 'unauthenticated'
  | 'permission_denied'
  | 'not_found'
  | 'already_exists'
  | 'failed_precondition'
  | 'resource_exhausted'
  | 'unavailable'
  | 'internal';

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

export class PermissionDeniedError extends DomainError {
  constructor(message = 'permission denied') {
    super('permission_denied', message);
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
  not_found: GrpcStatus.NOT_FOUND,
  already_exists: GrpcStatus.ALREADY_EXISTS,
  failed_precondition: GrpcStatus.FAILED_PRECONDITION,
  resource_exhausted: GrpcStatus.RESOURCE_EXHAUSTED,
  unavailable: GrpcStatus.UNAVAILABLE,
  internal: GrpcStatus.INTERNAL,
};

const httpByCode: Record<ErrorCode, number> = {
  invalid_argument: 400,
  unauthenticated: 401,
  permission_denied: 403,
  not_found: 404,
  already_exists: 409,
  failed_precondition: 412,
  resource_exhausted: 429,
  unavailable: 503,
  internal: 500,
};

const codeByGrpc = new Map<GrpcStatus, ErrorCode>(
  Object.entries(grpcByCode).map(([code, grpc]) => [grpc, code as ErrorCode]),
);

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
