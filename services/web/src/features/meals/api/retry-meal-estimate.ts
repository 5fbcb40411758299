import { useMutation, useQueryClient } from '@tanstack/react-query';
import { z } from 'zod';

import { api, unwrap } from '../../../lib/api-client';
import { mealKeys } from './keys';

export const retryMealEstimateInputSchema = z.object({ mealId: z.string().min(1).max(64) });

/** Asks again after a failed estimate; the meal is pending again until the AI service answers. */
export function retryMealEstimate(input: z.infer<typeof retryMealEstimateInputSchema>) {
  const { mealId } = retryMealEstimateInputSchema.parse(input);
  return unwrap(api.POST('/api/v1/me/meals/{mealId}/estimate', { params: { path: { mealId } } }));
}

export function useRetryMealEstimate() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: retryMealEstimate,
    onSettled: () => queryClient.invalidateQueries({ queryKey: mealKeys.all }),
  });
}
