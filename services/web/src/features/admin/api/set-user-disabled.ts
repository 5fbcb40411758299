import { useMutation, useQueryClient } from '@tanstack/react-query';
import { z } from 'zod';

import { api } from '../../../lib/api-client';
import { withCorrelationId } from './correlated';
import { adminKeys } from './keys';

export const setUserDisabledInputSchema = z.object({ userId: z.uuid(), disabled: z.boolean() });
export type SetUserDisabledInput = z.infer<typeof setUserDisabledInputSchema>;

export const setUserDisabled = ({ userId, disabled }: SetUserDisabledInput) =>
  withCorrelationId(
    api.PUT('/api/v1/admin/users/{userId}/disabled', { params: { path: { userId } }, body: { disabled } }),
  );

export function useSetUserDisabled() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: setUserDisabled,
    onSettled: () => queryClient.invalidateQueries({ queryKey: adminKeys.all }),
  });
}
