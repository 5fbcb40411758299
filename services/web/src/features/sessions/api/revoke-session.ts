import { useMutation, useQueryClient } from '@tanstack/react-query';
import { z } from 'zod';

import { api, unwrap } from '../../../lib/api-client';
import { sessionsQueryKey } from './list-sessions';

export const revokeSessionInputSchema = z.object({ sessionId: z.uuid() });
export type RevokeSessionInput = z.infer<typeof revokeSessionInputSchema>;

export const revokeSession = ({ sessionId }: RevokeSessionInput) =>
  unwrap(api.DELETE('/api/v1/me/sessions/{sessionId}', { params: { path: { sessionId } } }));

export function useRevokeSession() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: revokeSession,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: sessionsQueryKey }),
  });
}
