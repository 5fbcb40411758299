import { useMutation, useQueryClient } from '@tanstack/react-query';
import { z } from 'zod';

import { api, unwrap } from '../../../lib/api-client';
import { mealKeys } from './keys';

export const deleteMealInputSchema = z.object({
  mealId: z.string().min(1).max(64),
  version: z.number().int().min(1),
});
export type DeleteMealInput = z.infer<typeof deleteMealInputSchema>;

/** Deletes the version the person saw; if it changed since, a 409 and nothing is deleted. */
export function deleteMeal(input: DeleteMealInput) {
  const { mealId, version } = deleteMealInputSchema.parse(input);
  return unwrap(
    api.DELETE('/api/v1/me/meals/{mealId}', { params: { path: { mealId }, query: { version } } }),
  );
}

export function useDeleteMeal() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: deleteMeal,
    onSettled: () => queryClient.invalidateQueries({ queryKey: mealKeys.all }),
  });
}
