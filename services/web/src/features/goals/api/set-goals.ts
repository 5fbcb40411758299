import { useMutation, useQueryClient } from '@tanstack/react-query';
import { z } from 'zod';

import { api, unwrap, type components } from '../../../lib/api-client';

export type Goals = components['schemas']['Goals'];

/** The tracking service's rules for goals (services/tracking/src/coaching.ts, goalsSchema). */
export const setGoalsInputSchema = z.object({
  version: z.number().int().min(0),
  calories: z.number().int().min(0).max(20_000),
  proteinG: z.number().min(0).max(2_000),
  carbsG: z.number().min(0).max(2_000),
  fatG: z.number().min(0).max(2_000),
});
export type SetGoalsInput = z.infer<typeof setGoalsInputSchema>;

/** Sets my daily goals from the version I read (a stale one is a 409, as for meals). */
export function setGoals(input: SetGoalsInput) {
  return unwrap(api.PUT('/api/v1/me/goals', { body: setGoalsInputSchema.parse(input) }));
}

export function useSetGoals() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: setGoals,
    // The day's summary is where the app reads the goals.
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['meals', 'summary'] }),
  });
}
