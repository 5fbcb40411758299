import { useMutation, useQueryClient } from '@tanstack/react-query';
import { z } from 'zod';

import { api, unwrap } from '../../../lib/api-client';
import { totpCodeSchema } from '../../auth/api/verify-mfa';
import { meQueryKey } from '../../account/api/get-me';

export const regenerateRecoveryCodesInputSchema = z.object({
  currentPassword: z.string().min(1, 'Enter your current password.').max(1024),
  code: totpCodeSchema,
});
export type RegenerateRecoveryCodesInput = z.infer<typeof regenerateRecoveryCodesInputSchema>;

/** Ten new recovery codes; the old ones stop working. */
export const regenerateRecoveryCodes = (input: RegenerateRecoveryCodesInput) =>
  unwrap(api.POST('/api/v1/me/mfa/recovery-codes', { body: input }));

export function useRegenerateRecoveryCodes() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: regenerateRecoveryCodes,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: meQueryKey }),
  });
}
