import { useMutation, useQueryClient } from '@tanstack/react-query';

import { endLink } from './end-link';
import { inviteClient } from './invite-client';
import { trainerConsoleKeys } from './keys';
import type { TrainerLink } from './list-links';

/**
 * The API has no "resend": an invitation is a row the client finds under their verified
 * address, not a message. Sending it again means a fresh one with a fresh expiry: a pending
 * invitation is withdrawn first (one open invitation per address), an expired one is replaced
 * by the API itself.
 */
export async function resendInvitation(link: Pick<TrainerLink, 'linkId' | 'status' | 'invitedEmail'>) {
  if (link.status === 'pending') await endLink({ linkId: link.linkId });
  return inviteClient({ email: link.invitedEmail });
}

export function useResendInvitation() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: resendInvitation,
    onSettled: () => queryClient.invalidateQueries({ queryKey: trainerConsoleKeys.links }),
  });
}
