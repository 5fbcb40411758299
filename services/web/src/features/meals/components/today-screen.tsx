import { Link, useSearchParams } from 'react-router';

import { Card, Page } from '../../../components/ui/page';
import { ProblemAlert } from '../../../components/ui/problem-alert';
import { EmptyState, Loading } from '../../../components/ui/status';
import { addDays, formatDay, localDay } from '../../preferences/format';
import { usePreferences } from '../../preferences/preferences';
import { useMealsOfDay } from '../api/list-meals';
import { DayTotals } from './day-totals';
import { LogMealForm } from './log-meal-form';
import { MealCard } from './meal-card';
import { MealOutbox } from './meal-outbox';
import './meals.css';

/** One day of meals (today unless ?day=YYYY-MM-DD), its totals against the goals, and the log form. */
export function TodayScreen({ userId }: { userId: string }) {
  const prefs = usePreferences();
  const [search] = useSearchParams();
  const today = localDay(new Date(), prefs.timeZone);
  const asked = search.get('day');
  const day = asked && /^\d{4}-\d{2}-\d{2}$/.test(asked) && asked <= today ? asked : today;
  const meals = useMealsOfDay(day, prefs.timeZone);
  const isToday = day === today;
  const dayLabel = formatDay(`${day}T12:00:00Z`, { ...prefs, timeZone: 'UTC' });

  return (
    <Page title={isToday ? 'Today' : dayLabel}>
      <nav className="day-picker" aria-label="Day">
        <Link to={`/today?day=${addDays(day, -1)}`}>← Previous day</Link>
        <span className="muted">{dayLabel}</span>
        {isToday ? null : (
          <Link to={addDays(day, 1) >= today ? '/today' : `/today?day=${addDays(day, 1)}`}>Next day →</Link>
        )}
      </nav>
      <Card title="Totals">
        <DayTotals day={day} />
      </Card>
      {isToday ? (
        <Card title="Log a meal">
          <LogMealForm userId={userId} />
        </Card>
      ) : null}
      <MealOutbox userId={userId} />
      <section aria-labelledby="meals-title" className="stack">
        <h2 id="meals-title">Meals</h2>
        {meals.isPending ? (
          <Loading label="Loading meals…" minHeight="8rem" />
        ) : meals.isError ? (
          <ProblemAlert error={meals.error} title="We could not load your meals" />
        ) : meals.data.length === 0 ? (
          <EmptyState title={isToday ? 'Nothing logged yet today' : 'Nothing logged on this day'}>
            {isToday ? 'Log your first meal above; its estimate follows in a moment.' : null}
          </EmptyState>
        ) : (
          <ul className="meal-list">
            {meals.data.map((meal) => (
              <li key={meal.mealId}>
                <MealCard meal={meal} />
              </li>
            ))}
          </ul>
        )}
      </section>
    </Page>
  );
}
