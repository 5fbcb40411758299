import { useQuery, type UseQueryOptions } from '@tanstack/react-query';

import { api, unwrap } from '../../../lib/api-client';

export const subscriptionQueryKey = ['billing', 'subscription'] as const;

export const getSubscription = () => unwrap(api.GET('/api/v1/me/subscription'));
export type Subscription = Awaited<ReturnType<typeof getSubscription>>;

export const useSubscription = (
  options: Pick<
    UseQueryOptions<Subscription, Error, Subscription, typeof subscriptionQueryKey>,
    'refetchInterval'
  > = {},
) => useQuery({ queryKey: subscriptionQueryKey, queryFn: getSubscription, ...options });
