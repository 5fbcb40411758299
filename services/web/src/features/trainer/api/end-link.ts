import { useMutation, useQueryClient } from '@tanstack/react-query';
import { z } from 'zod';

import { api, unwrap } from '../../../lib/api-client';
import { trainerConsoleKeys } from './keys';

export const endLinkInputSchema = z.object({ linkId: z.uuid() });

/** Ends a link with a client (my access ends at once) or withdraws a pending invitation. */
export function endLink(input: z.infer<typeof endLinkInputSchema>) {
  const { linkId } = endLinkInputSchema.parse(input);
  return unwrap(api.POST('/api/v1/trainer/links/{linkId}/end', { params: { path: { linkId } } }));
}

export function useEndLink() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: endLink,
    onSuccess: (link) => {
      if (link.clientId) queryClient.removeQueries({ queryKey: trainerConsoleKeys.client(link.clientId) });
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: trainerConsoleKeys.links }),
  });
}
