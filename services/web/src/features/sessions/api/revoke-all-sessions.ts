import { useMutation, useQueryClient } from '@tanstack/react-query';
import { z } from 'zod';

import { api, cancelSigningOut, markSigningOut, unwrap } from '../../../lib/api-client';
import { sessionsQueryKey } from './list-sessions';

export const revokeAllSessionsInputSchema = z.object({ keepCurrent: z.boolean() });
export type RevokeAllSessionsInput = z.infer<typeof revokeAllSessionsInputSchema>;

/** Signs out every session of the account, this one too unless `keepCurrent`. */
export async function revokeAllSessions(input: RevokeAllSessionsInput) {
  const call = () => unwrap(api.POST('/api/v1/me/sessions/revoke-all', { body: input }));
  if (input.keepCurrent) return call();
  markSigningOut();
  try {
    return await call();
  } catch (error) {
    cancelSigningOut();
    throw error;
  }
}

export function useRevokeAllSessions() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: revokeAllSessions,
    // Without keepCurrent this session is gone too: the caller signs out, nothing is refetched.
    onSuccess: (_result, input) =>
      input.keepCurrent ? queryClient.invalidateQueries({ queryKey: sessionsQueryKey }) : undefined,
  });
}
