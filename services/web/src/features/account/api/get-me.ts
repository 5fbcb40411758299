import { queryOptions, useQuery } from '@tanstack/react-query';

import { api, unwrap } from '../../../lib/api-client';

export const meQueryKey = ['account', 'me'] as const;

export const getMe = () => unwrap(api.GET('/api/v1/me'));
export type Me = Awaited<ReturnType<typeof getMe>>;

export const meQueryOptions = () => queryOptions({ queryKey: meQueryKey, queryFn: getMe });
export const useMe = () => useQuery(meQueryOptions());
