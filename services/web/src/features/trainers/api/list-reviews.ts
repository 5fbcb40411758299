import { queryOptions, useQuery } from '@tanstack/react-query';

import { api, unwrap, type components } from '../../../lib/api-client';
import { trainerKeys } from './keys';

export type Review = components['schemas']['Review'];

/** My weekly reviews, requested by me or my trainer; content is empty until one is ready. */
export function listReviews() {
  return unwrap(api.GET('/api/v1/me/reviews'));
}

export const reviewsQueryOptions = () =>
  queryOptions({
    queryKey: trainerKeys.reviews,
    queryFn: listReviews,
    refetchInterval: (query) =>
      query.state.data?.items.some((review) => review.status === 'requested') ? 5_000 : false,
  });

export const useReviews = () => useQuery(reviewsQueryOptions());
