import { useMutation } from '@tanstack/react-query';
import { z } from 'zod';

import { api, unwrap } from '../../../lib/api-client';
import { newPasswordSchema } from '../../auth/password-policy';

export const changePasswordInputSchema = z.object({
  currentPassword: z.string().min(1, 'Enter your current password.').max(1024),
  newPassword: newPasswordSchema,
});
export type ChangePasswordInput = z.infer<typeof changePasswordInputSchema>;

/** Changes the password; auth signs out every other session of the account. */
export const changePassword = (input: ChangePasswordInput) =>
  unwrap(api.POST('/api/v1/me/password', { body: input }));

export const useChangePassword = () => useMutation({ mutationFn: changePassword });
