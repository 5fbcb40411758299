import type { components } from './schema';

export type Problem = components['schemas']['Problem'];

/**
 * A failed API call as the screens need it: the problem+json body in words, the correlation id
 * people quote to support, and how long to wait after a 429.
 */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem | undefined;
  readonly correlationId: string | undefined;
  /** Seconds from Retry-After, when the server says waiting will help. */
  readonly retryAfterSeconds: number | undefined;

  constructor(response: Response, problem: Problem | undefined) {
    super(problem?.detail ?? problem?.title ?? `The request failed (HTTP ${response.status}).`);
    this.name = 'ApiError';
    this.status = response.status;
    this.problem = problem;
    this.correlationId = problem?.correlationId ?? response.headers.get('x-correlation-id') ?? undefined;
    const retryAfter = Number(response.headers.get('retry-after'));
    this.retryAfterSeconds = Number.isInteger(retryAfter) && retryAfter > 0 ? retryAfter : undefined;
  }

  get code(): Problem['code'] | undefined {
    return this.problem?.code;
  }

  /** Field-level messages from the server, keyed by the request field's path. */
  get fieldErrors(): Record<string, string> {
    return this.problem?.errors ?? {};
  }
}

/** The connection failed before any response: offline, DNS, TLS, the edge down. */
export class NetworkError extends Error {
  constructor(cause: unknown) {
    super('Could not reach the server. Check your connection and try again.', { cause });
    this.name = 'NetworkError';
  }
}

function isProblem(value: unknown): value is Problem {
  return (
    typeof value === 'object' &&
    value !== null &&
    'code' in value &&
    'title' in value &&
    typeof (value as { title: unknown }).title === 'string'
  );
}

export function toApiError(response: Response, body: unknown): ApiError {
  return new ApiError(response, isProblem(body) ? body : undefined);
}
