import { useState } from 'react';

import { Button } from '../../../components/ui/button';
import { Loading } from '../../../components/ui/status';
import { GoalsForm } from '../../goals/components/goals-form';
import { ProblemAlert } from '../../../components/ui/problem-alert';
import { formatEnergy, formatGrams } from '../../preferences/format';
import { usePreferences, type Preferences } from '../../preferences/preferences';
import { useDailySummary } from '../api/get-daily-summary';

interface Row {
  label: string;
  value: number;
  goal: number | undefined;
  format: (value: number, prefs: Preferences) => string;
}

function TotalRow({ row, prefs }: { row: Row; prefs: Preferences }) {
  const share = row.goal ? Math.min(1, row.value / row.goal) : 0;
  return (
    <div className="total">
      <dt>{row.label}</dt>
      <dd className="num">
        {row.format(row.value, prefs)}
        {row.goal ? <span className="muted"> of {row.format(row.goal, prefs)}</span> : null}
      </dd>
      {/* The words above carry the numbers; the bar is a picture of them. */}
      <div className="total-bar" aria-hidden="true">
        <span
          style={{ width: `${String(Math.round(share * 100))}%` }}
          data-over={row.goal && row.value > row.goal ? '' : undefined}
        />
      </div>
    </div>
  );
}

/** The day's estimated totals against the goals; meals still being estimated are counted apart. */
export function DayTotals({ day }: { day: string }) {
  const prefs = usePreferences();
  const summary = useDailySummary({ date: day, timeZone: prefs.timeZone });
  const [editingGoals, setEditingGoals] = useState(false);

  if (summary.isPending) return <Loading label="Adding up the day…" minHeight="11rem" />;
  if (summary.isError) return <ProblemAlert error={summary.error} title="We could not add up the day" />;

  const { goals } = summary.data;
  const rows: Row[] = [
    { label: 'Energy', value: summary.data.calories, goal: goals?.calories, format: formatEnergy },
    { label: 'Protein', value: summary.data.proteinG, goal: goals?.proteinG, format: formatGrams },
    { label: 'Carbs', value: summary.data.carbsG, goal: goals?.carbsG, format: formatGrams },
    { label: 'Fat', value: summary.data.fatG, goal: goals?.fatG, format: formatGrams },
  ];
  return (
    <div className="day-totals">
      <dl className="totals">
        {rows.map((row) => (
          <TotalRow key={row.label} row={row} prefs={prefs} />
        ))}
      </dl>
      <p className="muted totals-note" aria-live="polite">
        {summary.data.mealsUnestimated > 0
          ? `${String(summary.data.mealsUnestimated)} ${summary.data.mealsUnestimated === 1 ? 'meal is' : 'meals are'} still being estimated and not counted yet.`
          : goals
            ? 'Goals set by you or your trainer.'
            : 'No goals set yet.'}
      </p>
      {editingGoals ? (
        <GoalsForm
          goals={
            goals ?? {
              clientId: summary.data.clientId,
              calories: 0,
              proteinG: 0,
              carbsG: 0,
              fatG: 0,
              setBy: '',
              version: 0,
              updatedAt: null,
            }
          }
          onDone={() => setEditingGoals(false)}
        />
      ) : (
        <Button variant="secondary" onPress={() => setEditingGoals(true)}>
          {goals ? 'Change goals' : 'Set daily goals'}
        </Button>
      )}
    </div>
  );
}
