import { useMutation } from '@tanstack/react-query';
import { z } from 'zod';

import { api, unwrap } from '../../../lib/api-client';

export const requestPasswordResetInputSchema = z.object({
  email: z.email('Enter a valid email address.').max(320),
});
export type RequestPasswordResetInput = z.infer<typeof requestPasswordResetInputSchema>;

/** Always answers the same, whether or not the address has an account (no account probing). */
export const requestPasswordReset = (input: RequestPasswordResetInput) =>
  unwrap(api.POST('/api/v1/auth/password-reset', { body: input }));

export const useRequestPasswordReset = () => useMutation({ mutationFn: requestPasswordReset });
