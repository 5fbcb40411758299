import {
  createSecurityEvents,
  currentCorrelationId,
  DomainError,
  httpStatusOf,
  type ErrorCode,
  type Metrics,
} from '@tracking/kit';
import type { ErrorRequestHandler, Response } from 'express';
import { z } from 'zod';

import type { Logger } from '@tracking/kit';

import { BODY_REFUSALS } from './body';

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
    // An error answers one request at one moment: no cache on the way may keep it.
    .set('cache-control', 'no-store')
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
  conflict: 'The record changed since it was read',
  failed_precondition: 'The request cannot be applied in the current state',
  resource_exhausted: 'Too many requests',
  unavailable: 'Service temporarily unavailable',
  internal: 'Internal error',
  https_required: 'HTTPS is required',
  geo_blocked: 'Not available in your region',
  method_not_allowed: 'Method not allowed',
};

/** Every error code, each with the HTTP status it is sent with. */
export const ERROR_CODES = Object.keys(titles) as [ErrorCode, ...ErrorCode[]];

const errorCode = z.enum(ERROR_CODES);

/**
 * What sendProblem writes, as the OpenAPI document's shared `Problem` component: every error
 * response of every operation refers to it.
 */
export const problemSchema = z
  .object({
    type: z.templateLiteral(['urn:tracking:problem:', errorCode]).meta({
      description: 'A URI naming the kind of problem; one per `code`, stable across releases.',
    }),
    title: z
      .string()
      .meta({ description: 'A short summary of the kind of problem, the same for every `code`.' }),
    status: z.int().min(400).max(599).meta({ description: 'The HTTP status code of the response.' }),
    code: errorCode.meta({ description: 'The stable, machine-readable error code.' }),
    detail: z.string().optional().meta({
      description: 'What went wrong with this request; never sent with a 5xx status.',
    }),
    errors: z
      .record(z.string(), z.string())
      .optional()
      .meta({ description: 'Field-level details, e.g. each invalid field of the request and why.' }),
    correlationId: z.string().meta({
      description: 'The id of this request in our logs and traces; also the X-Correlation-Id header.',
    }),
  })
  .meta({
    id: 'Problem',
    description: 'An RFC 9457 problem details document (media type application/problem+json).',
  });

export function problemHandler(log: Logger, metrics: Pick<Metrics, 'registry'>): ErrorRequestHandler {
  // Every refusal for want of a valid session (401) or of a permission (403 permission_denied),
  // whichever service decided it: a burst of either is someone probing sessions or permissions.
  // The edge's own refusals (GeoIP, HTTPS, the admin network) are recorded where they happen.
  const security = createSecurityEvents({ log, metrics }, ['authn.rejected', 'authz.denied']);
  // Four parameters, `_next` included: Express recognises an error handler by its arity.
  return (error: unknown, req, res, _next) => {
    if (res.headersSent) {
      // Mid-response (a streaming export): no problem document can follow; cut the connection.
      log.error({ err: error }, 'failure after the response began');
      res.destroy();
      return;
    }
    if (error instanceof DomainError) {
      if (error.code === 'internal') log.error({ err: error }, 'upstream failure');
      if (error.code === 'unauthenticated' || error.code === 'permission_denied') {
        const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
        security.record(
          error.code === 'unauthenticated' ? 'authn.rejected' : 'authz.denied',
          { method: req.method, route },
          error.code === 'unauthenticated'
            ? 'request refused: not authenticated'
            : 'request refused: not allowed',
        );
      }
      const { retryAfterSeconds, ...details } = error.details;
      // RFC 9110 §10.2.3; 0 means "not by waiting" (a hard lock that needs a password reset).
      if (error.code === 'resource_exhausted' && retryAfterSeconds && Number(retryAfterSeconds) > 0) {
        res.set('retry-after', retryAfterSeconds);
      }
      sendProblem(res, error.code, error.message, details);
      return;
    }
    // Express's body parser marks malformed or oversized bodies with a 4xx status.
    const { status, type } = error as { status?: number; type?: string };
    if (status === 400 || status === 413 || status === 415) {
      sendProblem(
        res,
        'invalid_argument',
        status === 413
          ? 'request body too large'
          : type !== undefined && type in BODY_REFUSALS
            ? BODY_REFUSALS[type as keyof typeof BODY_REFUSALS]
            : 'request body is not valid JSON',
      );
      return;
    }
    log.error({ err: error }, 'unhandled error');
    sendProblem(res, 'internal');
  };
}
