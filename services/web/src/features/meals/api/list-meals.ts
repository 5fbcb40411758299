import { infiniteQueryOptions, queryOptions, useInfiniteQuery, useQuery } from '@tanstack/react-query';

import { api, unwrap } from '../../../lib/api-client';
import { dayBounds } from '../../preferences/format';
import { mealKeys } from './keys';
import type { Meal } from './meal-input';

/** While any meal waits for its estimate, ask again this often. */
export const ESTIMATE_POLL_MS = 2_000;

export const hasPendingEstimate = (meals: readonly Meal[] | undefined) =>
  meals?.some((meal) => meal.estimateStatus === 'pending') ?? false;

/** One page of my meals, newest first, between `from` and `to`. */
export function listMeals(query: { from?: string; to?: string; cursor?: string; limit?: number }) {
  return unwrap(api.GET('/api/v1/me/meals', { params: { query } }));
}

/** Every meal of one local day (a day has far fewer than 200), oldest first. */
export async function mealsOfDay(day: string, timeZone: string): Promise<Meal[]> {
  const { from, to } = dayBounds(day, timeZone);
  const page = await listMeals({ from: from.toISOString(), to: to.toISOString(), limit: 200 });
  return [...page.items].reverse();
}

export const mealsOfDayQueryOptions = (day: string, timeZone: string) =>
  queryOptions({
    queryKey: mealKeys.day(day, timeZone),
    queryFn: () => mealsOfDay(day, timeZone),
    // Live estimates: poll while one is pending, stop once none is.
    refetchInterval: (query) => (hasPendingEstimate(query.state.data) ? ESTIMATE_POLL_MS : false),
  });

export const useMealsOfDay = (day: string, timeZone: string) =>
  useQuery(mealsOfDayQueryOptions(day, timeZone));

export const HISTORY_PAGE_SIZE = 20;

export const mealHistoryQueryOptions = () =>
  infiniteQueryOptions({
    queryKey: mealKeys.history(),
    queryFn: ({ pageParam }) =>
      listMeals({ limit: HISTORY_PAGE_SIZE, ...(pageParam ? { cursor: pageParam } : {}) }),
    initialPageParam: '',
    getNextPageParam: (page) => page.nextCursor ?? undefined,
  });

/** All my meals, newest first, a page at a time (the API's cursor paging). */
export const useMealHistory = () => useInfiniteQuery(mealHistoryQueryOptions());
