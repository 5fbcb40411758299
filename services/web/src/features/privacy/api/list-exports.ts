import { useQuery, useQueryClient } from '@tanstack/react-query';

import { api, unwrap } from '../../../lib/api-client';
import { privacyKeys } from './keys';

/** My latest exports, newest first (always my own, whatever my role). */
export const listExports = (limit: number) =>
  unwrap(api.GET('/api/v1/me/data-exports', { params: { query: { limit } } }));

/**
 * The export a person last asked for, or null: how someone who comes back without the mail's
 * link finds it. It seeds the export's own query, which then follows it (useExport).
 */
export function useLatestExport(enabled: boolean) {
  const queryClient = useQueryClient();
  return useQuery({
    queryKey: privacyKeys.latest,
    queryFn: async () => {
      const [latest] = (await listExports(1)).requests;
      if (latest) queryClient.setQueryData(privacyKeys.export(latest.id), latest);
      return latest ?? null;
    },
    enabled,
  });
}
