import { queryOptions, useQuery } from '@tanstack/react-query';
import { z } from 'zod';

import { api, unwrap } from '../../../lib/api-client';
import { mealKeys } from './keys';
import { ESTIMATE_POLL_MS } from './list-meals';

export const dailySummaryInputSchema = z.object({
  date: z.iso.date(),
  timeZone: z.string().min(1).max(64),
});
export type DailySummaryInput = z.infer<typeof dailySummaryInputSchema>;

/** One local day's estimated totals next to the goals; unestimated meals are counted apart. */
export function getDailySummary(input: DailySummaryInput) {
  return unwrap(api.GET('/api/v1/me/summary', { params: { query: dailySummaryInputSchema.parse(input) } }));
}

export const dailySummaryQueryOptions = (input: DailySummaryInput) =>
  queryOptions({
    queryKey: mealKeys.summary(input.date, input.timeZone),
    queryFn: () => getDailySummary(input),
    refetchInterval: (query) => ((query.state.data?.mealsUnestimated ?? 0) > 0 ? ESTIMATE_POLL_MS : false),
  });

export const useDailySummary = (input: DailySummaryInput) => useQuery(dailySummaryQueryOptions(input));
