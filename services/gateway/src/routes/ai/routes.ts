import { callUnary } from '@tracking/kit';
import type { z } from 'zod';

import { defineRoute, json } from '../../http/route';
import { principalFor } from '../principal';
import { estimatePreview, estimateRequest } from './schemas';

/**
 * The AI service's synchronous path. The browser never talks to a provider and never sees a
 * key: it asks the gateway, which asks ai-inference, which asks the provider server-side.
 */
export const aiRoutes = [
  defineRoute({
    method: 'post',
    path: '/api/v1/me/meals/estimate',
    operationId: 'estimateMeal',
    summary: 'Estimate a meal before logging it',
    description:
      'Nothing is stored. Counts against the daily AI budget and the plan’s estimates per day: past either, a 429 with reason budget_exhausted or plan_limit. ' +
      'A 503 means no estimator could answer now; log the meal anyway and its estimate follows, or retry it.',
    tags: ['tracking'],
    access: 'session',
    body: estimateRequest,
    responses: { 200: json(estimatePreview, 'The estimate; not saved.') },
    errors: ['failed_precondition', 'resource_exhausted', 'unavailable'],
  }).handle(async ({ body, session, deps }) => {
    const metadata = await principalFor(deps, session, 'tracking.own', 'ai-inference');
    const estimate = await callUnary(
      deps.ai.estimateMeal.bind(deps.ai),
      { description: body.description, mealType: body.mealType ?? '' },
      metadata,
    );
    return {
      status: 200,
      body: { ...estimate, confidence: estimate.confidence as z.infer<typeof estimatePreview>['confidence'] },
    };
  }),
];
