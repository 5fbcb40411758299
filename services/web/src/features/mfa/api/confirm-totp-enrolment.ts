import { useMutation, useQueryClient } from '@tanstack/react-query';
import { z } from 'zod';

import { api, unwrap } from '../../../lib/api-client';
import { sessionQueryKey } from '../../auth/api/get-session';
import { totpCodeSchema } from '../../auth/api/verify-mfa';

export const confirmTotpEnrolmentInputSchema = z.object({ code: totpCodeSchema });
export type ConfirmTotpEnrolmentInput = z.infer<typeof confirmTotpEnrolmentInputSchema>;

/**
 * Turns TOTP on with a first code. Auth upgrades this session, signs the others out and
 * returns ten recovery codes, shown once.
 */
export const confirmTotpEnrolment = (input: ConfirmTotpEnrolmentInput) =>
  unwrap(api.POST('/api/v1/me/mfa/totp/confirm', { body: input }));

export function useConfirmTotpEnrolment() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: confirmTotpEnrolment,
    // Only the session: the account page keeps showing the codes until they are acknowledged.
    onSuccess: () => queryClient.invalidateQueries({ queryKey: sessionQueryKey }),
  });
}
