import { useQuery } from '@tanstack/react-query';

import { api, unwrap } from '../../../lib/api-client';
import { privacyKeys } from './keys';

export const getExport = (requestId: string) =>
  unwrap(api.GET('/api/v1/me/data-exports/{requestId}', { params: { path: { requestId } } }));

const STILL_WORKING = new Set(['pending', 'collecting', 'assembling']);

/** Asked again every few seconds while the services are still writing their parts. */
export const useExport = (requestId: string | undefined) =>
  useQuery({
    queryKey: privacyKeys.export(requestId ?? ''),
    queryFn: () => getExport(requestId ?? ''),
    enabled: Boolean(requestId),
    refetchInterval: (query) => (STILL_WORKING.has(query.state.data?.state ?? '') ? 3_000 : false),
  });
