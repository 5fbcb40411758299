import { useMutation } from '@tanstack/react-query';
import { z } from 'zod';

import { api, unwrap } from '../../../lib/api-client';

export const changeEmailInputSchema = z.object({
  newEmail: z.email('Enter a valid email address.').max(320),
  currentPassword: z.string().min(1, 'Enter your current password.').max(1024),
});
export type ChangeEmailInput = z.infer<typeof changeEmailInputSchema>;

/** Mails a confirmation link to the new address; the change happens when it is opened. */
export const changeEmail = (input: ChangeEmailInput) => unwrap(api.POST('/api/v1/me/email', { body: input }));

export const useChangeEmail = () => useMutation({ mutationFn: changeEmail });
