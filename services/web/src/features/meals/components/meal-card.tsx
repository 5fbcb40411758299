import { useState } from 'react';

import { Button } from '../../../components/ui/button';
import { ProblemAlert } from '../../../components/ui/problem-alert';
import { ApiError } from '../../../lib/api-client';
import { formatTime } from '../../preferences/format';
import { usePreferences } from '../../preferences/preferences';
import { useDeleteMeal } from '../api/delete-meal';
import { MEAL_TYPES, type Meal } from '../api/meal-input';
import { MealEditor } from './meal-editor';
import { MealEstimate } from './meal-estimate';

/** One meal: what, when, its estimate, and (for its owner) edit and delete. */
export function MealCard({ meal, readOnly = false }: { meal: Meal; readOnly?: boolean }) {
  const prefs = usePreferences();
  const [mode, setMode] = useState<'view' | 'edit' | 'confirm-delete'>('view');
  const remove = useDeleteMeal();
  const heading = `${MEAL_TYPES[meal.mealType]} at ${formatTime(meal.eatenAt, prefs)}`;

  return (
    <article className="card meal-card" aria-label={heading} data-meal-id={meal.mealId}>
      <header className="meal-card-header">
        <h3 className="meal-title">
          {MEAL_TYPES[meal.mealType]}{' '}
          <time dateTime={meal.eatenAt} className="muted">
            {formatTime(meal.eatenAt, prefs)}
          </time>
        </h3>
        {readOnly || mode !== 'view' ? null : (
          <div className="row">
            <Button variant="quiet" onPress={() => setMode('edit')} aria-label={`Edit ${heading}`}>
              Edit
            </Button>
            <Button
              variant="quiet"
              onPress={() => setMode('confirm-delete')}
              aria-label={`Delete ${heading}`}
            >
              Delete
            </Button>
          </div>
        )}
      </header>
      {mode === 'edit' ? (
        <MealEditor meal={meal} onDone={() => setMode('view')} />
      ) : (
        <>
          <p className="meal-text">{meal.description}</p>
          <MealEstimate meal={meal} readOnly={readOnly} />
        </>
      )}
      {mode === 'confirm-delete' ? (
        <div className="alert alert-warning" role="alertdialog" aria-label="Delete this meal?">
          <p>Delete this meal? It disappears from your log and totals.</p>
          <div className="row">
            <Button
              variant="danger"
              isDisabled={remove.isPending}
              onPress={() =>
                remove.mutate(
                  { mealId: meal.mealId, version: meal.version },
                  { onSuccess: () => setMode('view') },
                )
              }
            >
              {remove.isPending ? 'Deleting…' : 'Delete meal'}
            </Button>
            <Button variant="secondary" onPress={() => setMode('view')}>
              Keep it
            </Button>
          </div>
        </div>
      ) : null}
      {remove.isError ? (
        remove.error instanceof ApiError && remove.error.code === 'conflict' ? (
          <div className="alert alert-warning" role="alert">
            This meal was changed somewhere else after you opened it, so it was not deleted. It now shows the
            latest version: check it and delete again if you still want to.
          </div>
        ) : (
          <ProblemAlert error={remove.error} title="The meal was not deleted" />
        )
      ) : null}
    </article>
  );
}
