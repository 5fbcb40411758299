import { useMutation, useQueryClient } from '@tanstack/react-query';
import { z } from 'zod';

import { api } from '../../../lib/api-client';
import { withCorrelationId } from './correlated';
import { adminKeys } from './keys';

export const ROLE_NAMES = ['client', 'trainer', 'admin'] as const;
export const setUserRoleInputSchema = z.object({ userId: z.uuid(), role: z.enum(ROLE_NAMES) });
export type SetUserRoleInput = z.infer<typeof setUserRoleInputSchema>;

export const setUserRole = ({ userId, role }: SetUserRoleInput) =>
  withCorrelationId(
    api.PUT('/api/v1/admin/users/{userId}/role', { params: { path: { userId } }, body: { role } }),
  );

export function useSetUserRole() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: setUserRole,
    onSettled: () => queryClient.invalidateQueries({ queryKey: adminKeys.all }),
  });
}
