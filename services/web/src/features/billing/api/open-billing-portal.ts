import { useMutation } from '@tanstack/react-query';

import { api, unwrap } from '../../../lib/api-client';

/** Stripe's Customer Portal, where people change their card, plan or cancel. */
export const openBillingPortal = () => unwrap(api.POST('/api/v1/me/subscription/portal'));

export const useOpenBillingPortal = () => useMutation({ mutationFn: openBillingPortal });
