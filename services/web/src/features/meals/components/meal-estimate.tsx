import { Button } from '../../../components/ui/button';
import { ProblemAlert } from '../../../components/ui/problem-alert';
import { formatEnergy, formatGrams } from '../../preferences/format';
import { usePreferences } from '../../preferences/preferences';
import { useRetryMealEstimate } from '../api/retry-meal-estimate';
import type { Meal } from '../api/meal-input';

const FAILURES: Record<NonNullable<Meal['estimateFailure']>, string> = {
  providers_unavailable: 'The estimator could not be reached.',
  invalid_output: 'The estimator gave an answer we could not use.',
  budget_exhausted: 'Estimates are paused for today; they resume tomorrow.',
  plan_limit: 'Your plan’s estimates for today are used up. A higher plan allows more.',
  unrecognised: 'The estimator could not tell what this meal was. Try describing it differently.',
};

/**
 * The estimate of one meal in the same box whatever its state, with room reserved for the
 * numbers, so nothing below it moves when an estimate arrives (no layout shift).
 */
export function MealEstimate({ meal, readOnly = false }: { meal: Meal; readOnly?: boolean }) {
  const prefs = usePreferences();
  const retry = useRetryMealEstimate();

  if (meal.estimateStatus === 'pending' || !meal.estimate) {
    if (meal.estimateStatus === 'failed') {
      return (
        <div className="meal-estimate meal-estimate-failed" data-status="failed">
          <p>
            <strong>No estimate.</strong> {meal.estimateFailure ? FAILURES[meal.estimateFailure] : ''}
          </p>
          {readOnly ? null : (
            <Button
              variant="secondary"
              isDisabled={retry.isPending}
              onPress={() => retry.mutate({ mealId: meal.mealId })}
            >
              {retry.isPending ? 'Asking…' : 'Try the estimate again'}
            </Button>
          )}
          {retry.isError ? <ProblemAlert error={retry.error} /> : null}
        </div>
      );
    }
    return (
      <div className="meal-estimate" data-status="pending" role="status">
        <span className="spinner" aria-hidden="true" /> Estimating calories and macros…
      </div>
    );
  }

  const estimate = meal.estimate;
  return (
    <div className="meal-estimate" data-status="estimated">
      <dl className="macros num">
        <div>
          <dt>Energy</dt>
          <dd>{formatEnergy(estimate.calories, prefs)}</dd>
        </div>
        <div>
          <dt>Protein</dt>
          <dd>{formatGrams(estimate.proteinG, prefs)}</dd>
        </div>
        <div>
          <dt>Carbs</dt>
          <dd>{formatGrams(estimate.carbsG, prefs)}</dd>
        </div>
        <div>
          <dt>Fat</dt>
          <dd>{formatGrams(estimate.fatG, prefs)}</dd>
        </div>
      </dl>
      {estimate.items.length > 0 ? (
        <details className="meal-items">
          <summary>
            What we counted ({estimate.items.length} {estimate.items.length === 1 ? 'item' : 'items'}
            {estimate.confidence ? `, ${estimate.confidence} confidence` : ''})
          </summary>
          <table className="table num">
            <thead>
              <tr>
                <th scope="col">Food</th>
                <th scope="col">Amount</th>
                <th scope="col">Energy</th>
              </tr>
            </thead>
            <tbody>
              {estimate.items.map((item, index) => (
                <tr key={`${item.name}-${String(index)}`}>
                  <td>{item.name}</td>
                  <td>{formatGrams(item.grams, prefs)}</td>
                  <td>{formatEnergy(item.calories, prefs)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      ) : null}
    </div>
  );
}
