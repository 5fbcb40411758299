import { useMutation } from '@tanstack/react-query';
import { z } from 'zod';

import { api, unwrap } from '../../../lib/api-client';
import { newPasswordSchema } from '../password-policy';

export const registerInputSchema = z.object({
  displayName: z.string().trim().min(1, 'Enter the name your trainer will see.').max(80),
  email: z.email('Enter a valid email address.').max(320),
  password: newPasswordSchema,
});
export type RegisterInput = z.infer<typeof registerInputSchema>;

/** Creates a client account; auth mails a link to /verify-email. */
export const register = (input: RegisterInput) => unwrap(api.POST('/api/v1/auth/register', { body: input }));

export const useRegister = () => useMutation({ mutationFn: register });
