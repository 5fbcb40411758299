import { useMutation } from '@tanstack/react-query';
import { z } from 'zod';

import { api, unwrap } from '../../../lib/api-client';

export const startCheckoutInputSchema = z.object({ plan: z.enum(['pro', 'team']) });
export type StartCheckoutInput = z.infer<typeof startCheckoutInputSchema>;

/** A Stripe Checkout page for the plan; Stripe sends the person back to /billing. */
export const startCheckout = (input: StartCheckoutInput) =>
  unwrap(api.POST('/api/v1/me/subscription/checkout', { body: input }));

export const useStartCheckout = () => useMutation({ mutationFn: startCheckout });
