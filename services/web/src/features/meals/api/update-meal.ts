import { useMutation, useQueryClient } from '@tanstack/react-query';
import { z } from 'zod';

import { api, unwrap } from '../../../lib/api-client';
import { mealKeys } from './keys';
import { mealBodySchema } from './meal-input';

/** An edit names the version it was made from: a stale one is a 409 `conflict` and changes nothing. */
export const updateMealInputSchema = mealBodySchema.extend({
  mealId: z.string().min(1).max(64),
  version: z.number().int().min(1),
});
export type UpdateMealInput = z.input<typeof updateMealInputSchema>;

export function updateMeal(input: UpdateMealInput) {
  const { mealId, ...body } = updateMealInputSchema.parse(input);
  return unwrap(api.PUT('/api/v1/me/meals/{mealId}', { params: { path: { mealId } }, body }));
}

export function useUpdateMeal() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: updateMeal,
    onSettled: () => queryClient.invalidateQueries({ queryKey: mealKeys.all }),
  });
}
