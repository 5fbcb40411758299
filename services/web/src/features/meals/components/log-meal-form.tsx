import { zodResolver } from '@hookform/resolvers/zod';
import { useState } from 'react';
import { useForm } from 'react-hook-form';

import { Button } from '../../../components/ui/button';
import { ProblemAlert } from '../../../components/ui/problem-alert';
import { Notice } from '../../../components/ui/status';
import { applyServerErrors } from '../../../lib/form';
import { fromLocalInput, toLocalInput } from '../../preferences/format';
import { usePreferences } from '../../preferences/preferences';
import { useLogMeal, type LogMealResult } from '../api/log-meal';
import { mealFormSchema, type MealForm, type MealType } from '../api/meal-input';
import { MealFields } from './meal-fields';

/** A sensible default for the kind of meal from the local hour. */
function typeForHour(hour: number): MealType {
  if (hour < 10) return 'breakfast';
  if (hour < 14) return 'lunch';
  if (hour >= 17 && hour < 21) return 'dinner';
  return 'snack';
}

function freshValues(timeZone: string): MealForm {
  const now = toLocalInput(new Date(), timeZone);
  return { mealType: typeForHour(Number(now.slice(11, 13))), eatenAt: now, description: '' };
}

export function LogMealForm({ userId }: { userId: string }) {
  const prefs = usePreferences();
  const logMeal = useLogMeal(userId);
  const [outcome, setOutcome] = useState<LogMealResult['status'] | undefined>();
  const form = useForm<MealForm>({
    resolver: zodResolver(mealFormSchema),
    defaultValues: freshValues(prefs.timeZone),
  });

  const submit = form.handleSubmit((values) => {
    const eatenAt = fromLocalInput(values.eatenAt, prefs.timeZone);
    if (!eatenAt || eatenAt.getTime() > Date.now() + 60_000) {
      form.setError('eatenAt', { message: 'That time is in the future.' });
      return;
    }
    setOutcome(undefined);
    logMeal.mutate(
      { mealType: values.mealType, eatenAt: eatenAt.toISOString(), description: values.description },
      {
        onSuccess: (result) => {
          setOutcome(result.status);
          form.reset(freshValues(prefs.timeZone));
        },
        onError: (error) => applyServerErrors(error, form.setError, ['mealType', 'eatenAt', 'description']),
      },
    );
  });

  return (
    <form className="form" onSubmit={(event) => void submit(event)} aria-label="Log a meal" noValidate>
      <MealFields control={form.control} idPrefix="log" />
      {logMeal.isError ? <ProblemAlert error={logMeal.error} title="The meal was not logged" /> : null}
      <div className="meal-form-footer">
        <Button type="submit" isDisabled={logMeal.isPending}>
          {logMeal.isPending ? 'Logging…' : 'Log meal'}
        </Button>
        {/* Always there, so the form does not move when a message appears. */}
        <div className="meal-form-status" aria-live="polite">
          {outcome === 'logged' ? (
            <span className="muted">Logged. The estimate follows in a moment.</span>
          ) : null}
          {outcome === 'queued' ? (
            <Notice tone="warning">
              No connection: the meal is saved on this device and will be sent when you are back online.
            </Notice>
          ) : null}
        </div>
      </div>
    </form>
  );
}
