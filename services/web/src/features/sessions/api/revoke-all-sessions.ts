import { useMutation, useQueryClient } from '@tanstack/react-query';
import { z } from 'zod';

import { api, unwrap } from '../../../lib/api-client';
import { sessionsQueryKey } from './list-sessions';

export const revokeAllSessionsInputSchema = z.object({ keepCurrent: z.boolean() });
export type RevokeAllSessionsInput = z.infer<typeof revokeAllSessionsInputSchema>;

/** Signs out every session of the account, this one too unless `keepCurrent`. */
export const revokeAllSessions = (input: RevokeAllSessionsInput) =>
  unwrap(api.POST('/api/v1/me/sessions/revoke-all', { body: input }));

export function useRevokeAllSessions() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: revokeAllSessions,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: sessionsQueryKey }),
  });
}
