import { useMutation } from '@tanstack/react-query';
import { z } from 'zod';

import { api, unwrap } from '../../../lib/api-client';

export const beginTotpEnrolmentInputSchema = z.object({
  currentPassword: z.string().min(1, 'Enter your current password.').max(1024),
});
export type BeginTotpEnrolmentInput = z.infer<typeof beginTotpEnrolmentInputSchema>;

/** A new, inactive TOTP secret: the otpauth:// URI and its QR code, to be confirmed with a code. */
export const beginTotpEnrolment = (input: BeginTotpEnrolmentInput) =>
  unwrap(api.POST('/api/v1/me/mfa/totp', { body: input }));

export const useBeginTotpEnrolment = () => useMutation({ mutationFn: beginTotpEnrolment });

/** The base32 secret inside an otpauth:// URI, for people who type it into their app. */
export function secretOf(otpauthUri: string): string {
  try {
    return new URL(otpauthUri).searchParams.get('secret') ?? '';
  } catch {
    return '';
  }
}
