import { z } from 'zod';

import { totpCodeSchema } from '../../auth/api/verify-mfa';

/**
 * The re-entered credentials an export, its download and a deletion ask for. The code is asked
 * only of an account with two-step sign-in; the server checks it either way.
 */
export const confirmIdentitySchema = (withCode: boolean) =>
  z.object({
    currentPassword: z.string().min(1, 'Enter your password.').max(1024),
    code: withCode ? totpCodeSchema : z.literal(''),
  });
export type ConfirmIdentityInput = z.infer<ReturnType<typeof confirmIdentitySchema>>;
