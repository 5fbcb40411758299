import { useMutation, useQueryClient } from '@tanstack/react-query';
import { z } from 'zod';

import { api, unwrap } from '../../../lib/api-client';
import { csrfStore } from '../../../lib/session-store';
import { sessionQueryKey } from './get-session';

export const totpCodeSchema = z.string().regex(/^\d{6}$/, 'Enter the 6-digit code from your app.');
export const recoveryCodeSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z2-7]{4}(-?[A-Za-z2-7]{4}){3}$/, 'Enter a recovery code like abcd-efgh-ijkl-mnop.');

export const verifyMfaInputSchema = z.union([
  z.object({ code: totpCodeSchema }),
  z.object({ recoveryCode: recoveryCodeSchema }),
]);
export type VerifyMfaInput = z.infer<typeof verifyMfaInputSchema>;

/**
 * The second sign-in step. Passing it replaces the session token, so the CSRF token changes
 * too and the new one is kept.
 */
export async function verifyMfa(input: VerifyMfaInput) {
  const body = await unwrap(api.POST('/api/v1/auth/mfa/verify', { body: input }));
  if ('csrfToken' in body) csrfStore.set(body.csrfToken);
  return body;
}

export function useVerifyMfa() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: verifyMfa,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: sessionQueryKey }),
  });
}
