import { useMutation } from '@tanstack/react-query';
import { z } from 'zod';

import { api, unwrap } from '../../../lib/api-client';
import { newPasswordSchema } from '../password-policy';

export const resetPasswordInputSchema = z.object({
  token: z.string().min(1).max(128),
  newPassword: newPasswordSchema,
});
export type ResetPasswordInput = z.infer<typeof resetPasswordInputSchema>;

/** Sets a new password from the mailed link; auth signs every session of the account out. */
export const resetPassword = (input: ResetPasswordInput) =>
  unwrap(api.POST('/api/v1/auth/password-reset/confirm', { body: input }));

export const useResetPassword = () => useMutation({ mutationFn: resetPassword });
