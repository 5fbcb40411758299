import { useMutation, useQueryClient } from '@tanstack/react-query';
import { z } from 'zod';

import { api, unwrap } from '../../../lib/api-client';
import { totpCodeSchema } from '../../auth/api/verify-mfa';

export const disableTotpInputSchema = z.object({
  currentPassword: z.string().min(1, 'Enter your current password.').max(1024),
  code: totpCodeSchema,
});
export type DisableTotpInput = z.infer<typeof disableTotpInputSchema>;

export const disableTotp = (input: DisableTotpInput) =>
  unwrap(api.POST('/api/v1/me/mfa/totp/disable', { body: input }));

export function useDisableTotp() {
  const queryClient = useQueryClient();
  return useMutation({ mutationFn: disableTotp, onSuccess: () => queryClient.invalidateQueries() });
}
