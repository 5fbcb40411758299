import { useMutation, useQueryClient } from '@tanstack/react-query';
import { z } from 'zod';

import { api, unwrap } from '../../../lib/api-client';
import { adminKeys } from './keys';

/** The gateway's and tracking's rules for a break-glass grant. */
export const openSupportAccessInputSchema = z.object({
  clientId: z.uuid({ message: "Enter the client's user id (a UUID)." }),
  reason: z
    .string()
    .trim()
    .min(10, { message: 'Say which ticket and why, in at least 10 characters.' })
    .max(500, { message: 'At most 500 characters.' }),
  minutes: z
    .string()
    .trim()
    .regex(/^\d{1,2}$/, { message: 'Enter whole minutes, from 1 to 60.' })
    .transform(Number)
    .pipe(z.int().min(1, { message: 'At least 1 minute.' }).max(60, { message: 'At most 60 minutes.' })),
});
export type OpenSupportAccessForm = z.input<typeof openSupportAccessInputSchema>;
export type OpenSupportAccessInput = z.output<typeof openSupportAccessInputSchema>;

export const openSupportAccess = async ({ clientId, reason, minutes }: OpenSupportAccessInput) => {
  const grant = await unwrap(
    api.POST('/api/v1/admin/clients/{clientId}/support-access', {
      params: { path: { clientId } },
      body: { reason, minutes },
    }),
  );
  return { ...grant, clientId, reason };
};

export const useOpenSupportAccess = () => {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: openSupportAccess,
    // The banner and the support screen read the open grants from tracking.
    onSuccess: () => queryClient.invalidateQueries({ queryKey: adminKeys.supportGrants }),
  });
};
