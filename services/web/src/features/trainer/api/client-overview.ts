import { useQueries } from '@tanstack/react-query';

import { addDays, localDay } from '../../preferences/format';
import type { Meal } from '../../meals/api/meal-input';
import type { Metric } from '../../metrics/api/metric-input';
import type { Goals } from '../../goals/api/set-goals';
import { clientGoalsQueryOptions } from './client-goals';
import { clientMealsQueryOptions } from './client-meals';
import { clientMetricsQueryOptions } from './client-metrics';
import type { TrainerLink } from './list-links';

/** Three days without a meal logged: the console flags the client. */
export const QUIET_DAYS = 3;

export interface ClientOverview {
  link: TrainerLink & { clientId: string };
  lastMealAt: string | null;
  /** Local days since Monday (the trainer's time zone) with at least one meal. */
  daysLoggedThisWeek: number;
  /** Average estimated energy of the days logged in the last 7, and the goal it is read against. */
  averageCalories: number | null;
  goalCalories: number | null;
  /** The latest weight, and its change since the first weight of the last 30 days. */
  latestWeightKg: number | null;
  weightChangeKg: number | null;
  quiet: boolean;
}

/** The Monday of the week `day` falls in (YYYY-MM-DD). */
export function mondayOf(day: string): string {
  const weekday = new Date(`${day}T12:00:00Z`).getUTCDay();
  return addDays(day, -((weekday + 6) % 7));
}

export function summarise(
  link: ClientOverview['link'],
  meals: readonly Meal[],
  metrics: readonly Metric[],
  goals: Goals | undefined,
  timeZone: string,
  now = Date.now(),
): ClientOverview {
  const monday = mondayOf(localDay(new Date(now), timeZone));
  const days = new Set(meals.map((meal) => localDay(new Date(meal.eatenAt), timeZone)));
  const byDay = new Map<string, number>();
  for (const meal of meals) {
    if (meal.estimateStatus !== 'estimated' || !meal.estimate) continue;
    const day = localDay(new Date(meal.eatenAt), timeZone);
    byDay.set(day, (byDay.get(day) ?? 0) + meal.estimate.calories);
  }
  const totals = [...byDay.values()];
  const weights = metrics
    .filter((metric) => metric.weightKg !== null)
    .map((metric) => metric.weightKg as number);
  const lastMealAt = meals[0]?.eatenAt ?? null;
  return {
    link,
    lastMealAt,
    daysLoggedThisWeek: [...days].filter((day) => day >= monday).length,
    averageCalories: totals.length ? Math.round(totals.reduce((a, b) => a + b, 0) / totals.length) : null,
    goalCalories: goals && goals.version > 0 ? goals.calories : null,
    latestWeightKg: weights.at(-1) ?? null,
    weightChangeKg:
      weights.length > 1 ? Math.round(((weights.at(-1) ?? 0) - (weights[0] ?? 0)) * 10) / 10 : null,
    quiet: !lastMealAt || now - new Date(lastMealAt).getTime() > QUIET_DAYS * 86_400_000,
  };
}

/**
 * Each client's week at a glance, from the API every client page uses (meals of 7 days,
 * weights of 30, goals): three requests a client, cached for their pages.
 */
export function useClientOverviews(clients: readonly ClientOverview['link'][], timeZone: string) {
  return useQueries({
    queries: clients.flatMap((link) => [
      clientMealsQueryOptions({ clientId: link.clientId, days: 7, timeZone }),
      clientMetricsQueryOptions(link.clientId)(30),
      clientGoalsQueryOptions(link.clientId),
    ]),
    combine: (results) => {
      const rows: ClientOverview[] = [];
      let pending = false;
      let error: unknown = null;
      clients.forEach((link, index) => {
        const [meals, metrics, goals] = results.slice(index * 3, index * 3 + 3);
        if (meals?.isPending || metrics?.isPending || goals?.isPending) pending = true;
        const failed = [meals, metrics, goals].find((result) => result?.isError);
        if (failed) {
          error ??= failed.error;
          return;
        }
        if (!meals?.data || !metrics?.data || !goals?.data) return;
        rows.push(
          summarise(link, meals.data as Meal[], metrics.data as Metric[], goals.data as Goals, timeZone),
        );
      });
      return { rows, pending, error };
    },
  });
}
