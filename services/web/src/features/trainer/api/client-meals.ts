import { queryOptions, useQuery } from '@tanstack/react-query';
import { z } from 'zod';

import { api, unwrap } from '../../../lib/api-client';
import { addDays, dayBounds, localDay } from '../../preferences/format';
import type { Meal } from '../../meals/api/meal-input';
import { trainerConsoleKeys } from './keys';

export const RANGES = [7, 30, 90] as const;
export type RangeDays = (typeof RANGES)[number];

export const clientMealsInputSchema = z.object({
  clientId: z.uuid(),
  days: z.union(RANGES.map((days) => z.literal(days))),
  timeZone: z.string().min(1).max(64),
});
export type ClientMealsInput = z.infer<typeof clientMealsInputSchema>;

const PAGE = 200;

/**
 * Every meal of a client over the last `days` local days (today included), newest first: the
 * API's pages followed to the end, at most a few for 90 days.
 */
export async function listClientMeals(input: ClientMealsInput): Promise<Meal[]> {
  const { clientId, days, timeZone } = clientMealsInputSchema.parse(input);
  const from = dayBounds(addDays(localDay(new Date(), timeZone), 1 - days), timeZone).from.toISOString();
  const meals: Meal[] = [];
  let cursor: string | undefined;
  do {
    const page = await unwrap(
      api.GET('/api/v1/trainer/clients/{clientId}/meals', {
        params: { path: { clientId }, query: { from, limit: PAGE, ...(cursor ? { cursor } : {}) } },
      }),
    );
    meals.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor && meals.length < 3_000);
  return meals;
}

export const clientMealsQueryOptions = (input: ClientMealsInput) =>
  queryOptions({
    queryKey: trainerConsoleKeys.meals(input.clientId, input.days, input.timeZone),
    queryFn: () => listClientMeals(input),
    // An estimate still pending lands within seconds: look again until none is.
    refetchInterval: (query) =>
      query.state.data?.some((meal) => meal.estimateStatus === 'pending') ? 3_000 : false,
  });

export const useClientMeals = (input: ClientMealsInput) => useQuery(clientMealsQueryOptions(input));

export interface DayTotal {
  day: string;
  meals: number;
  /** Estimated energy of the day's estimated meals; the others are counted in `unestimated`. */
  calories: number;
  proteinG: number;
  carbsG: number;
  fatG: number;
  unestimated: number;
}

/**
 * The daily summaries of the period from the meals themselves, by the same rule as the API's
 * summary (estimated meals in the totals, the rest counted apart), in one request instead of
 * one per day. Every day of the period is there, oldest first, logged or not.
 */
export function dailyTotals(meals: readonly Meal[], days: number, timeZone: string): DayTotal[] {
  const today = localDay(new Date(), timeZone);
  const totals = new Map<string, DayTotal>();
  for (let offset = days - 1; offset >= 0; offset -= 1) {
    const day = addDays(today, -offset);
    totals.set(day, { day, meals: 0, calories: 0, proteinG: 0, carbsG: 0, fatG: 0, unestimated: 0 });
  }
  for (const meal of meals) {
    const total = totals.get(localDay(new Date(meal.eatenAt), timeZone));
    if (!total) continue;
    total.meals += 1;
    if (meal.estimateStatus === 'estimated' && meal.estimate) {
      total.calories += meal.estimate.calories;
      total.proteinG += meal.estimate.proteinG;
      total.carbsG += meal.estimate.carbsG;
      total.fatG += meal.estimate.fatG;
    } else total.unestimated += 1;
  }
  return [...totals.values()];
}
