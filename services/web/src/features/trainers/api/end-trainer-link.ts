import { useMutation, useQueryClient } from '@tanstack/react-query';
import { z } from 'zod';

import { api, unwrap } from '../../../lib/api-client';
import { trainerKeys } from './keys';

export const endTrainerLinkInputSchema = z.object({ linkId: z.string().min(1).max(64) });

/**
 * Ends an active link (the trainer loses access at once) or declines a pending invitation:
 * the API's one "end" for both (docs/tracking.md).
 */
export function endTrainerLink(input: z.infer<typeof endTrainerLinkInputSchema>) {
  const { linkId } = endTrainerLinkInputSchema.parse(input);
  return unwrap(api.POST('/api/v1/me/trainer-links/{linkId}/end', { params: { path: { linkId } } }));
}

export function useEndTrainerLink() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: endTrainerLink,
    onSettled: () => queryClient.invalidateQueries({ queryKey: trainerKeys.links }),
  });
}
