import { useMutation } from '@tanstack/react-query';
import { z } from 'zod';

import { api, unwrap } from '../../../lib/api-client';

export const verifyEmailInputSchema = z.object({ token: z.string().min(1).max(128) });
export type VerifyEmailInput = z.infer<typeof verifyEmailInputSchema>;

export const verifyEmail = (input: VerifyEmailInput) =>
  unwrap(api.POST('/api/v1/auth/verify-email', { body: input }));

export const useVerifyEmail = () => useMutation({ mutationFn: verifyEmail });
