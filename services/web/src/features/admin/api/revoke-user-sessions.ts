import { useMutation, useQueryClient } from '@tanstack/react-query';
import { z } from 'zod';

import { api } from '../../../lib/api-client';
import { withCorrelationId } from './correlated';
import { adminKeys } from './keys';

export const revokeUserSessionsInputSchema = z.object({ userId: z.uuid() });
export type RevokeUserSessionsInput = z.infer<typeof revokeUserSessionsInputSchema>;

export const revokeUserSessions = ({ userId }: RevokeUserSessionsInput) =>
  withCorrelationId(
    api.POST('/api/v1/admin/users/{userId}/sessions/revoke', { params: { path: { userId } } }),
  );

export function useRevokeUserSessions() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: revokeUserSessions,
    onSettled: () => queryClient.invalidateQueries({ queryKey: adminKeys.all }),
  });
}
