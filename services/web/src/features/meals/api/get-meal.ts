import { queryOptions, useQuery } from '@tanstack/react-query';

import { api, unwrap } from '../../../lib/api-client';
import { mealKeys } from './keys';

export function getMeal(mealId: string) {
  return unwrap(api.GET('/api/v1/me/meals/{mealId}', { params: { path: { mealId } } }));
}

export const mealQueryOptions = (mealId: string) =>
  queryOptions({ queryKey: mealKeys.one(mealId), queryFn: () => getMeal(mealId) });

export const useMeal = (mealId: string) => useQuery(mealQueryOptions(mealId));
