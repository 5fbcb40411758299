import { MEAL_TYPES } from '@tracking/contracts';
import { z } from 'zod';

export const estimateRequest = z.object({
  description: z.string().min(1).max(2000).meta({ description: 'What was eaten, in the client’s words.' }),
  mealType: z.enum(MEAL_TYPES.names).optional(),
});

export const estimateItem = z.object({
  name: z.string(),
  grams: z.number(),
  calories: z.int(),
});

export const estimatePreview = z
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
