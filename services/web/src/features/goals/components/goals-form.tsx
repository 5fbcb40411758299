import { zodResolver } from '@hookform/resolvers/zod';
import type { UseMutationResult } from '@tanstack/react-query';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { z } from 'zod';

import { Button } from '../../../components/ui/button';
import { ProblemAlert } from '../../../components/ui/problem-alert';
import { TextField } from '../../../components/ui/text-field';
import { ApiError } from '../../../lib/api-client';
import { applyServerErrors } from '../../../lib/form';
import { energyValue, KJ_PER_KCAL } from '../../preferences/format';
import { usePreferences } from '../../preferences/preferences';
import { useSetGoals, type Goals, type SetGoalsInput } from '../api/set-goals';

const amount = (max: number, unit: string) =>
  z
    .string()
    .trim()
    .regex(/^\d+([.,]\d+)?$/, 'Enter a number.')
    .refine((value) => Number(value.replace(',', '.')) <= max, `At most ${String(max)} ${unit}.`);

/** What the form holds: text as typed; energy in the person's unit (kJ or kcal). */
const goalsFormSchema = z.object({
  energy: z.string().trim().regex(/^\d+$/, 'Enter a whole number.'),
  proteinG: amount(2_000, 'g'),
  carbsG: amount(2_000, 'g'),
  fatG: amount(2_000, 'g'),
});
type GoalsForm = z.infer<typeof goalsFormSchema>;

const number = (value: string) => Number(value.replace(',', '.'));

/** Daily goals, set by the client (or their trainer); energy in the unit they read. */
export function GoalsForm({
  goals,
  onDone,
  save: saveOther,
  otherParty = 'your trainer',
}: {
  goals: Goals;
  onDone: () => void;
  /** How to save: my own goals by default; the trainer console saves a client's. */
  save?: UseMutationResult<Goals, Error, SetGoalsInput>;
  /** Who else may have changed them meanwhile, in the conflict message. */
  otherParty?: string;
}) {
  const prefs = usePreferences();
  const saveMine = useSetGoals();
  const save = saveOther ?? saveMine;
  const [stale, setStale] = useState(false);
  const form = useForm<GoalsForm>({
    resolver: zodResolver(goalsFormSchema),
    defaultValues: {
      energy: goals.version ? String(energyValue(goals.calories, prefs.energy)) : '',
      proteinG: goals.version ? String(goals.proteinG) : '',
      carbsG: goals.version ? String(goals.carbsG) : '',
      fatG: goals.version ? String(goals.fatG) : '',
    },
  });

  const submit = form.handleSubmit((values) => {
    const energy = Number(values.energy);
    const calories = prefs.energy === 'kJ' ? Math.round(energy / KJ_PER_KCAL) : energy;
    if (calories > 20_000) {
      form.setError('energy', { message: 'That is more than anyone needs in a day.' });
      return;
    }
    setStale(false);
    save.mutate(
      {
        version: goals.version,
        calories,
        proteinG: number(values.proteinG),
        carbsG: number(values.carbsG),
        fatG: number(values.fatG),
      },
      {
        onSuccess: onDone,
        onError: (error) => {
          if (error instanceof ApiError && error.code === 'conflict') setStale(true);
          else applyServerErrors(error, form.setError, ['proteinG', 'carbsG', 'fatG']);
        },
      },
    );
  });

  return (
    <form className="form" aria-label="Daily goals" onSubmit={(event) => void submit(event)} noValidate>
      <div className="goals-grid">
        <TextField
          control={form.control}
          name="energy"
          label={`Energy (${prefs.energy})`}
          inputMode="numeric"
        />
        <TextField control={form.control} name="proteinG" label="Protein (g)" inputMode="decimal" />
        <TextField control={form.control} name="carbsG" label="Carbs (g)" inputMode="decimal" />
        <TextField control={form.control} name="fatG" label="Fat (g)" inputMode="decimal" />
      </div>
      {stale ? (
        <div className="alert alert-warning" role="alert">
          These goals were changed somewhere else (perhaps by {otherParty}) since you opened them. Close this
          form and open it again to see them, then change them if you still want to.
        </div>
      ) : save.isError ? (
        <ProblemAlert error={save.error} title="The goals were not saved" />
      ) : null}
      <div className="row">
        <Button type="submit" isDisabled={save.isPending}>
          {save.isPending ? 'Saving…' : 'Save goals'}
        </Button>
        <Button variant="quiet" onPress={onDone}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
