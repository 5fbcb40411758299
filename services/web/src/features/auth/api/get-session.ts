import { queryOptions, useQuery } from '@tanstack/react-query';

import { ApiError, api, unwrap } from '../../../lib/api-client';

export const sessionQueryKey = ['auth', 'session'] as const;

/** Who is signed in, or `null` when nobody is (the session endpoint answers 401). */
export async function getSession() {
  try {
    return await unwrap(api.GET('/api/v1/auth/session'));
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
}

export type Session = NonNullable<Awaited<ReturnType<typeof getSession>>>;

export const sessionQueryOptions = () =>
  queryOptions({ queryKey: sessionQueryKey, queryFn: getSession, staleTime: 60_000 });

export const useSession = () => useQuery(sessionQueryOptions());
