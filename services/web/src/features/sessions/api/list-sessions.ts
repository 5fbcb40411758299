import { useQuery } from '@tanstack/react-query';

import { api, unwrap } from '../../../lib/api-client';

export const sessionsQueryKey = ['account', 'sessions'] as const;

export const listSessions = () => unwrap(api.GET('/api/v1/me/sessions'));
export type SessionInfo = Awaited<ReturnType<typeof listSessions>>['sessions'][number];

export const useSessions = () => useQuery({ queryKey: sessionsQueryKey, queryFn: listSessions });
