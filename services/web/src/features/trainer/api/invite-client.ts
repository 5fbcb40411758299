import { useMutation, useQueryClient } from '@tanstack/react-query';
import { z } from 'zod';

import { api, unwrap } from '../../../lib/api-client';
import { trainerConsoleKeys } from './keys';

/** The tracking service's rule (services/tracking/src/links.ts, emailSchema). */
export const inviteClientInputSchema = z.object({
  email: z.email({ message: 'Enter an email address.' }).max(320, 'At most 320 characters.'),
});
export type InviteClientInput = z.infer<typeof inviteClientInputSchema>;

/**
 * Invites a client by email: it shows up for the account that has verified that address. Past
 * the plan's limit of clients and open invitations: 412 naming the plan that lifts it.
 */
export function inviteClient(input: InviteClientInput) {
  return unwrap(api.POST('/api/v1/trainer/invitations', { body: inviteClientInputSchema.parse(input) }));
}

export function useInviteClient() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: inviteClient,
    onSettled: () => queryClient.invalidateQueries({ queryKey: trainerConsoleKeys.links }),
  });
}
