import { mealLoggedSchema, type EstimationFailureReason } from '@tracking/contracts';
import { DomainError, type ErrorCode, parseOrInvalid, PermissionDeniedError, unary } from '@tracking/kit';
import type {
  AiInferenceServiceServer,
  EstimateMealRequest,
  EstimateMealResponse,
} from '@tracking/proto/tracking/ai/v1/ai';
import { z } from 'zod';

import type { Deps } from './deps';

const estimateRequestSchema = z.object({
  description: mealLoggedSchema.shape.description.refine((text) => text.trim() !== '', {
    message: 'describe the meal',
  }),
  mealType: z.string().max(20),
});

/** How each failure reaches the caller: a status the app can act on, and what to do next. */
const FAILURES: Record<EstimationFailureReason, { code: ErrorCode; message: string }> = {
  budget_exhausted: {
    code: 'resource_exhausted',
    message:
      "today's AI budget for this account is spent; try again tomorrow or log the meal without an estimate",
  },
  providers_unavailable: {
    code: 'unavailable',
    message: 'no estimator is available right now; log the meal and retry its estimate later',
  },
  invalid_output: {
    code: 'unavailable',
    message: 'the estimator gave no usable answer; log the meal and retry its estimate later',
  },
  plan_limit: {
    code: 'resource_exhausted',
    message:
      "today's AI estimates on this account's plan are used up; try again tomorrow, upgrade, or log the meal without an estimate",
  },
  unrecognised: {
    code: 'failed_precondition',
    message: 'no food in the description was recognised; describe the meal in more detail',
  },
};

/**
 * The synchronous estimate ("estimate before I save"). Only clients log meals, so only they
 * may ask; the principal is the gateway's signed assertion, and the estimate counts against
 * that client's daily budget. Nothing of the request is kept.
 */
export function aiService(deps: Deps): AiInferenceServiceServer {
  return {
    estimateMeal: unary<EstimateMealRequest, EstimateMealResponse>(
      'EstimateMeal',
      deps,
      async (request, call) => {
        const principal = await deps.principals.verify(call.metadata);
        if (principal.role !== 'client') throw new PermissionDeniedError('only clients estimate meals');
        const input = parseOrInvalid(estimateRequestSchema, request);
        const outcome = await deps.inference.estimateMeal(
          principal.userId,
          input.description,
          principal.plan,
        );
        if (!outcome.ok) {
          const failure = FAILURES[outcome.reason];
          throw new DomainError(failure.code, failure.message, { reason: outcome.reason });
        }
        return { ...outcome.value, source: outcome.source, model: outcome.model };
      },
    ),
  };
}
