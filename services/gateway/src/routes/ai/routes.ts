import { MEAL_TYPES } from '@tracking/contracts';
import { callUnary } from '@tracking/kit';
import { z } from 'zod';

import { defineRoute, json } from '../../http/route';
import { principalFor } from '../principal';

const estimateItem = z.object({
  name: z.string(),
  grams: z.number(),
  calories: z.int(),
});

const estimatePreview = z
  .object({
    calories: z.int(),
    proteinG: z.number(),
    carbsG: z.number(),
    fatG: z.number(),
    items: z.array(estimateItem).meta({ description: 'What the estimator took the meal to contain.' }),
    confidence: z.enum(['low', 'medium', 'high']),
    source: z.string().meta({ description: 'Which estimator answered: anthropic, qwen or offline.' }),
    model: z.string().meta({ description: 'The model the provider reported.' }),
  })
  .meta({ id: 'MealEstimatePreview' });

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
    body: z.object({
      description: z
        .string()
        .min(1)
        .max(2000)
        .meta({ description: 'What was eaten, in the client’s words.' }),
      mealType: z.enum(MEAL_TYPES.names).optional(),
    }),
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
