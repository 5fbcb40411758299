import { zodResolver } from '@hookform/resolvers/zod';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useForm } from 'react-hook-form';

import { Button } from '../../../components/ui/button';
import { ProblemAlert } from '../../../components/ui/problem-alert';
import { ApiError } from '../../../lib/api-client';
import { applyServerErrors } from '../../../lib/form';
import { formatDateTime, fromLocalInput, toLocalInput } from '../../preferences/format';
import { usePreferences } from '../../preferences/preferences';
import { mealQueryOptions } from '../api/get-meal';
import { MEAL_TYPES, mealFormSchema, type Meal, type MealForm } from '../api/meal-input';
import { useUpdateMeal } from '../api/update-meal';
import { MealFields } from './meal-fields';

type Conflict = { kind: 'changed'; current: Meal } | { kind: 'deleted' };

/**
 * Edits a meal from the version the person read. If it changed in the meantime (another tab,
 * another device), the API refuses the stale edit with 409; the editor then shows what the meal
 * says now beside the person's own edit, which stays in the form, and lets them choose.
 */
export function MealEditor({ meal, onDone }: { meal: Meal; onDone: () => void }) {
  const prefs = usePreferences();
  const queryClient = useQueryClient();
  const update = useUpdateMeal();
  const [base, setBase] = useState(meal);
  const [conflict, setConflict] = useState<Conflict | undefined>();
  const form = useForm<MealForm>({
    resolver: zodResolver(mealFormSchema),
    defaultValues: {
      mealType: meal.mealType,
      eatenAt: toLocalInput(new Date(meal.eatenAt), prefs.timeZone),
      description: meal.description,
    },
  });

  /** Reads the meal as it is now, to show beside the edit that was refused. */
  const showConflict = async () => {
    try {
      const current = await queryClient.query({ ...mealQueryOptions(meal.mealId), staleTime: 0 });
      setConflict({ kind: 'changed', current });
    } catch (readError) {
      if (readError instanceof ApiError && readError.status === 404) setConflict({ kind: 'deleted' });
    }
  };

  const save = (values: MealForm, version: number) => {
    const eatenAt = fromLocalInput(values.eatenAt, prefs.timeZone);
    if (!eatenAt) return;
    update.mutate(
      {
        mealId: meal.mealId,
        version,
        mealType: values.mealType,
        eatenAt: eatenAt.toISOString(),
        description: values.description,
        photoRef: base.photoRef,
      },
      {
        onSuccess: () => {
          setConflict(undefined);
          onDone();
        },
        onError: (error) => {
          if (error instanceof ApiError && error.code === 'conflict') void showConflict();
          else applyServerErrors(error, form.setError, ['mealType', 'eatenAt', 'description']);
        },
      },
    );
  };

  const submit = form.handleSubmit((values) => save(values, base.version));
  const overwrite = form.handleSubmit((values) => {
    if (conflict?.kind !== 'changed') return;
    setBase(conflict.current);
    save(values, conflict.current.version);
  });

  return (
    <form
      className="form meal-editor"
      onSubmit={(event) => void submit(event)}
      aria-label="Edit meal"
      noValidate
    >
      <MealFields control={form.control} idPrefix={`edit-${meal.mealId}`} />
      {conflict?.kind === 'changed' ? (
        <div className="alert alert-warning" role="alert" data-testid="edit-conflict">
          <strong className="alert-title">This meal was changed somewhere else</strong>
          <p>
            While you were editing, it was changed in another tab or on another device. Your edit has not been
            saved and is still in the form above. The meal now reads:
          </p>
          <blockquote className="conflict-current">
            {MEAL_TYPES[conflict.current.mealType]}, {formatDateTime(conflict.current.eatenAt, prefs)}:{' '}
            {conflict.current.description}
          </blockquote>
          <div className="row">
            <Button variant="primary" onPress={() => void overwrite()} isDisabled={update.isPending}>
              Save my version over it
            </Button>
            <Button variant="secondary" onPress={onDone}>
              Keep the other version
            </Button>
          </div>
        </div>
      ) : null}
      {conflict?.kind === 'deleted' ? (
        <div className="alert alert-warning" role="alert" data-testid="edit-conflict">
          <strong className="alert-title">This meal was deleted somewhere else</strong>
          <p>Your edit is still in the form above; copy it if you want to log it again.</p>
        </div>
      ) : null}
      {update.isError && !conflict ? (
        <ProblemAlert error={update.error} title="The meal was not saved" />
      ) : null}
      <div className="row">
        <Button type="submit" isDisabled={update.isPending || conflict !== undefined}>
          {update.isPending ? 'Saving…' : 'Save'}
        </Button>
        <Button variant="quiet" onPress={onDone}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
