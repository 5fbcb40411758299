import { infiniteQueryOptions, useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { z } from 'zod';

import { api, unwrap } from '../../../lib/api-client';
import { forgetClientIfGone } from './client-access';
import { trainerConsoleKeys } from './keys';

/** A client's comments (mine, and any other trainer's from before), newest first, a page at a time. */
export function listClientComments(clientId: string, cursor?: string) {
  return unwrap(
    api.GET('/api/v1/trainer/clients/{clientId}/comments', {
      params: {
        path: { clientId: z.uuid().parse(clientId) },
        query: { limit: 20, ...(cursor ? { cursor } : {}) },
      },
    }),
  );
}

export const clientCommentsQueryOptions = (clientId: string) =>
  infiniteQueryOptions({
    queryKey: trainerConsoleKeys.comments(clientId),
    queryFn: ({ pageParam }) => listClientComments(clientId, pageParam || undefined),
    initialPageParam: '',
    getNextPageParam: (page) => page.nextCursor ?? undefined,
  });

export const useClientComments = (clientId: string) => useInfiniteQuery(clientCommentsQueryOptions(clientId));

/** The tracking service's rule (services/tracking/src/coaching.ts, commentSchema). */
export const addCommentInputSchema = z.object({
  body: z.string().trim().min(1, 'Write something.').max(2000, 'Keep it under 2000 characters.'),
  mealId: z.uuid().optional(),
});
export type AddCommentInput = z.input<typeof addCommentInputSchema>;

export function addClientComment(clientId: string, input: AddCommentInput) {
  return unwrap(
    api.POST('/api/v1/trainer/clients/{clientId}/comments', {
      params: { path: { clientId: z.uuid().parse(clientId) } },
      body: addCommentInputSchema.parse(input),
    }),
  );
}

export function useAddClientComment(clientId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: AddCommentInput) => addClientComment(clientId, input),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: trainerConsoleKeys.comments(clientId) }),
    onError: (error) => forgetClientIfGone(queryClient, clientId, error),
  });
}
