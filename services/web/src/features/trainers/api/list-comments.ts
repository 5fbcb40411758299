import { infiniteQueryOptions, useInfiniteQuery } from '@tanstack/react-query';

import { api, unwrap, type components } from '../../../lib/api-client';
import { trainerKeys } from './keys';

export type Comment = components['schemas']['Comment'];

/** My trainers' comments, newest first, a page at a time. */
export function listComments(query: { cursor?: string; limit?: number }) {
  return unwrap(api.GET('/api/v1/me/comments', { params: { query } }));
}

export const commentsQueryOptions = () =>
  infiniteQueryOptions({
    queryKey: trainerKeys.comments,
    queryFn: ({ pageParam }) => listComments({ limit: 20, ...(pageParam ? { cursor: pageParam } : {}) }),
    initialPageParam: '',
    getNextPageParam: (page) => page.nextCursor ?? undefined,
  });

export const useComments = () => useInfiniteQuery(commentsQueryOptions());
