import { Button } from '../../../components/ui/button';
import { ProblemAlert } from '../../../components/ui/problem-alert';
import { EmptyState, Loading } from '../../../components/ui/status';
import { formatDay, localDay } from '../../preferences/format';
import { usePreferences } from '../../preferences/preferences';
import { useMealHistory } from '../api/list-meals';
import type { Meal } from '../api/meal-input';
import { MealCard } from './meal-card';

/** Meals grouped by the local day they were eaten on, in the order they come (newest first). */
function byDay(meals: readonly Meal[], timeZone: string): [string, Meal[]][] {
  const days = new Map<string, Meal[]>();
  for (const meal of meals) {
    const day = localDay(new Date(meal.eatenAt), timeZone);
    days.set(day, [...(days.get(day) ?? []), meal]);
  }
  return [...days.entries()];
}

export function MealHistory() {
  const prefs = usePreferences();
  const history = useMealHistory();

  if (history.isPending) return <Loading label="Loading your meals…" minHeight="12rem" />;
  // A failed next page keeps the pages already shown, with the error under them.
  if (history.isError && !history.data)
    return <ProblemAlert error={history.error} title="We could not load your meals" />;

  const meals = history.data.pages.flatMap((page) => page.items);
  if (meals.length === 0)
    return (
      <EmptyState title="No meals yet">Meals you log on the Today page show up here, by day.</EmptyState>
    );

  return (
    <div className="stack">
      {byDay(meals, prefs.timeZone).map(([day, dayMeals]) => (
        <section key={day} aria-labelledby={`day-${day}`} className="stack history-day">
          <h2 id={`day-${day}`} className="history-day-title">
            {formatDay(dayMeals[0]?.eatenAt ?? day, prefs)}
          </h2>
          {dayMeals.map((meal) => (
            <MealCard key={meal.mealId} meal={meal} />
          ))}
        </section>
      ))}
      {history.isFetchNextPageError ? <ProblemAlert error={history.error} /> : null}
      {history.hasNextPage ? (
        <Button
          variant="secondary"
          isDisabled={history.isFetchingNextPage}
          onPress={() => void history.fetchNextPage()}
        >
          {history.isFetchingNextPage ? 'Loading…' : 'Show earlier meals'}
        </Button>
      ) : (
        <p className="muted">That is everything you have logged.</p>
      )}
    </div>
  );
}
