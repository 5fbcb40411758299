import { currentCorrelationId, DomainError, httpStatusOf, type ErrorCode } from '@tracking/kit';
import type { ErrorRequestHandler, Response } from 'express';

import type { Logger } from '@tracking/kit';

/**
 * Errors leave the gateway as RFC 9457 problem details with a stable `code` and the
 * correlation id. A 5xx never says more than its title: the detail is in our logs, not theirs.
 */
export function sendProblem(
  res: Response,
  code: ErrorCode,
  detail?: string,
  errors?: Record<string, string>,
): void {
  const status = httpStatusOf(code);
  res
    .status(status)
    .type('application/problem+json')
    .json({
      type: `urn:tracking:problem:${code}`,
      title: titles[code],
      status,
      code,
      ...(status < 500 && detail ? { detail } : {}),
      ...(errors && Object.keys(errors).length ? { errors } : {}),
      correlationId: currentCorrelationId(),
    });
}

const titles: Record<ErrorCode, string> = {
  invalid_argument: 'The request is not valid',
  unauthenticated: 'Authentication is required',
  permission_denied: 'Not allowed',
  mfa_required: 'Multi-factor authentication required',
  not_found: 'Not found',
  already_exists: 'Already exists',
  failed_precondition: 'The request cannot be applied in the current state',
  resource_exhausted: 'Too many requests',
  unavailable: 'Service temporarily unavailable',
  internal: 'Internal error',
};

export function problemHandler(log: Logger): ErrorRequestHandler {
  // Four parameters, `_next` included: Express recognises an error handler by its arity.
  return (error: unknown, _req, res, _next) => {
    if (res.headersSent) {
      // Mid-response (a streaming export): no problem document can follow; cut the connection.
      log.error({ err: error }, 'failure after the response began');
      res.destroy();
      return;
    }
    if (error instanceof DomainError) {
      if (error.code === 'internal') log.error({ err: error }, 'upstream failure');
      const { retryAfterSeconds, ...details } = error.details;
      // RFC 9110 §10.2.3; 0 means "not by waiting" (a hard lock that needs a password reset).
      if (error.code === 'resource_exhausted' && retryAfterSeconds && Number(retryAfterSeconds) > 0) {
        res.set('retry-after', retryAfterSeconds);
      }
      sendProblem(res, error.code, error.message, details);
      return;
    }
    // Express's body parser marks malformed or oversized bodies with a 4xx status.
    const status = (error as { status?: number }).status;
    if (status === 400 || status === 413 || status === 415) {
      sendProblem(
        res,
        'invalid_argument',
        status === 413 ? 'request body too large' : 'request body is not valid JSON',
      );
      return;
    }
    log.error({ err: error }, 'unhandled error');
    sendProblem(res, 'internal');
  };
}
