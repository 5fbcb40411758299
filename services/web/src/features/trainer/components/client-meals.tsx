import { useId, useState } from 'react';

import { Card } from '../../../components/ui/page';
import { ProblemAlert } from '../../../components/ui/problem-alert';
import { EmptyState, Loading } from '../../../components/ui/status';
import { MealCard } from '../../meals/components/meal-card';
import type { Meal } from '../../meals/api/meal-input';
import { formatDay, localDay } from '../../preferences/format';
import { usePreferences } from '../../preferences/preferences';
import { dailyTotals, RANGES, useClientMeals, type RangeDays } from '../api/client-meals';
import { useClientGoals } from '../api/client-goals';
import { DailyEnergyChart } from './daily-energy-chart';

function byDay(meals: readonly Meal[], timeZone: string): [string, Meal[]][] {
  const days = new Map<string, Meal[]>();
  for (const meal of meals) {
    const day = localDay(new Date(meal.eatenAt), timeZone);
    days.set(day, [...(days.get(day) ?? []), meal]);
  }
  return [...days.entries()];
}

/** A client's daily energy over 7, 30 or 90 days, and the meals behind it by day, with their estimates. */
export function ClientMeals({ clientId }: { clientId: string }) {
  const prefs = usePreferences();
  const id = useId();
  const [days, setDays] = useState<RangeDays>(7);
  const meals = useClientMeals({ clientId, days, timeZone: prefs.timeZone });
  const goals = useClientGoals(clientId);

  return (
    <>
      <Card title="Daily energy">
        <fieldset className="range-picker">
          <legend className="field-label">Period</legend>
          {RANGES.map((range) => (
            <label key={range} className="range-option">
              <input
                type="radio"
                name={`${id}-range`}
                value={range}
                checked={days === range}
                onChange={() => setDays(range)}
              />
              {range} days
            </label>
          ))}
        </fieldset>
        {meals.isPending || goals.isPending ? (
          <Loading label="Loading meals…" minHeight="260px" />
        ) : meals.isError ? (
          <ProblemAlert error={meals.error} title="We could not load the meals" />
        ) : (
          <DailyEnergyChart
            totals={dailyTotals(meals.data, days, prefs.timeZone)}
            goalCalories={goals.data && goals.data.version > 0 ? goals.data.calories : null}
          />
        )}
      </Card>
      <Card title="Meals by day">
        {meals.isPending ? (
          <Loading label="Loading meals…" minHeight="8rem" />
        ) : meals.isError ? null : meals.data.length === 0 ? (
          <EmptyState title={`No meals in the last ${String(days)} days`}>
            Meals the client logs show up here with their estimates.
          </EmptyState>
        ) : (
          <div className="stack">
            {byDay(meals.data, prefs.timeZone).map(([day, dayMeals]) => (
              <section key={day} aria-labelledby={`${id}-${day}`} className="stack history-day">
                <h3 id={`${id}-${day}`} className="history-day-title">
                  {formatDay(dayMeals[0]?.eatenAt ?? day, prefs)}
                </h3>
                {dayMeals.map((meal) => (
                  <MealCard key={meal.mealId} meal={meal} readOnly />
                ))}
              </section>
            ))}
          </div>
        )}
      </Card>
    </>
  );
}
