import { useMutation, useQueryClient } from '@tanstack/react-query';
import { z } from 'zod';

import { api, unwrap } from '../../../lib/api-client';
import { trainerKeys } from './keys';

export const acceptTrainerLinkInputSchema = z.object({ linkId: z.string().min(1).max(64) });

/** Accepts an invitation: from now on that trainer sees my logs (412 if I already have a trainer). */
export function acceptTrainerLink(input: z.infer<typeof acceptTrainerLinkInputSchema>) {
  const { linkId } = acceptTrainerLinkInputSchema.parse(input);
  return unwrap(api.POST('/api/v1/me/trainer-links/{linkId}/accept', { params: { path: { linkId } } }));
}

export function useAcceptTrainerLink() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: acceptTrainerLink,
    onSettled: () => queryClient.invalidateQueries({ queryKey: trainerKeys.links }),
  });
}
