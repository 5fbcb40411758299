import { useQuery } from '@tanstack/react-query';

import { api, unwrap } from '../../../lib/api-client';
import { adminKeys } from './keys';

/** A client's meals under an open grant (each read audited); a 404 once the grant has ended. */
export const listSupportMeals = (clientId: string) =>
  unwrap(
    api.GET('/api/v1/admin/clients/{clientId}/meals', {
      params: { path: { clientId }, query: { limit: 20 } },
    }),
  );

export const useSupportMeals = (clientId: string | undefined) =>
  useQuery({
    queryKey: adminKeys.supportMeals(clientId ?? ''),
    queryFn: () => listSupportMeals(clientId ?? ''),
    enabled: Boolean(clientId),
    retry: false,
  });
