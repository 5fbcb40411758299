import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { z } from 'zod';

import { api, unwrap, type components } from '../../../lib/api-client';
import { forgetClientIfGone } from './client-access';
import { trainerConsoleKeys } from './keys';

export type Review = components['schemas']['Review'];

/** A client's weekly reviews, newest week first; content is empty until one is ready. */
export function listClientReviews(clientId: string) {
  return unwrap(
    api.GET('/api/v1/trainer/clients/{clientId}/reviews', {
      params: { path: { clientId: z.uuid().parse(clientId) } },
    }),
  );
}

export const clientReviewsQueryOptions = (clientId: string) =>
  queryOptions({
    queryKey: trainerConsoleKeys.reviews(clientId),
    queryFn: () => listClientReviews(clientId),
    // The AI service writes a review within seconds to a minute: look again until it has.
    refetchInterval: (query) =>
      query.state.data?.items.some((review) => review.status === 'requested') ? 3_000 : false,
  });

export const useClientReviews = (clientId: string) => useQuery(clientReviewsQueryOptions(clientId));

const WEEK_MS = 7 * 86_400_000;

/**
 * What the plan's weekly quota counts, as tracking does (services/tracking/src/plan-limits.ts):
 * the client's reviews requested in the last seven days, by anyone, except failed ones.
 */
export function reviewsCounted(reviews: readonly Review[], now = Date.now()): number {
  return reviews.filter(
    (review) => review.status !== 'failed' && new Date(review.createdAt).getTime() > now - WEEK_MS,
  ).length;
}

export const requestReviewInputSchema = z.object({
  weekStart: z.iso.date(),
  timeZone: z.string().min(1).max(64),
});
export type RequestReviewInput = z.infer<typeof requestReviewInputSchema>;

export function requestClientReview(clientId: string, input: RequestReviewInput) {
  return unwrap(
    api.POST('/api/v1/trainer/clients/{clientId}/reviews', {
      params: { path: { clientId: z.uuid().parse(clientId) } },
      body: requestReviewInputSchema.parse(input),
    }),
  );
}

export function useRequestClientReview(clientId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: RequestReviewInput) => requestClientReview(clientId, input),
    onSettled: () => queryClient.invalidateQueries({ queryKey: trainerConsoleKeys.reviews(clientId) }),
    onError: (error) => forgetClientIfGone(queryClient, clientId, error),
  });
}
