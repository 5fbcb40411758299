import { useQuery } from '@tanstack/react-query';

import { api, unwrap } from '../../../lib/api-client';
import { adminKeys } from './keys';

/** A user's plan and subscription as billing has it; billing audits each read with the admin as actor. */
export const getUserSubscription = (userId: string) =>
  unwrap(api.GET('/api/v1/admin/users/{userId}/subscription', { params: { path: { userId } } }));

/** Asked only once the admin chooses to look (`enabled`), so a search reads nobody's subscription. */
export const useUserSubscription = (userId: string, enabled: boolean) =>
  useQuery({
    queryKey: adminKeys.subscription(userId),
    queryFn: () => getUserSubscription(userId),
    enabled,
  });
