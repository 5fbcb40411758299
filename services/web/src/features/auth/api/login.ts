import { useMutation, useQueryClient } from '@tanstack/react-query';
import { z } from 'zod';

import { api, unwrap } from '../../../lib/api-client';
import { csrfStore } from '../../../lib/session-store';
import { sessionQueryKey } from './get-session';

export const loginInputSchema = z.object({
  email: z.email('Enter your email address.').max(320),
  password: z.string().min(1, 'Enter your password.').max(1024),
});
export type LoginInput = z.infer<typeof loginInputSchema>;

/** Signs in with a cookie session; keeps the CSRF token that comes with it. */
export async function login(input: LoginInput) {
  const body = await unwrap(api.POST('/api/v1/auth/login', { body: { ...input, session: 'cookie' } }));
  if ('csrfToken' in body) csrfStore.set(body.csrfToken);
  return body;
}

export function useLogin() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: login,
    onSuccess: async () => {
      // A different person may have been signed in before: nothing of theirs may linger.
      queryClient.removeQueries({ predicate: (query) => query.queryKey[0] !== 'auth' });
      await queryClient.invalidateQueries({ queryKey: sessionQueryKey });
    },
  });
}
