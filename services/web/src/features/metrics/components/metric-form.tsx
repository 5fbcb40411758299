import { zodResolver } from '@hookform/resolvers/zod';
import { useState } from 'react';
import { useForm } from 'react-hook-form';

import { Button } from '../../../components/ui/button';
import { ProblemAlert } from '../../../components/ui/problem-alert';
import { TextField } from '../../../components/ui/text-field';
import { applyServerErrors } from '../../../lib/form';
import { fromLocalInput, toLocalInput } from '../../preferences/format';
import { usePreferences } from '../../preferences/preferences';
import { useLogMetric } from '../api/log-metric';
import { metricFormSchema, type MetricFormInput, type MetricFormOutput } from '../api/metric-input';

const FIELDS = ['weightKg', 'sleepHours', 'steps', 'waterMl', 'mood', 'notes'] as const;

const blank = (timeZone: string): MetricFormInput => ({
  recordedAt: toLocalInput(new Date(), timeZone),
  weightKg: '',
  sleepHours: '',
  steps: '',
  waterMl: '',
  mood: '',
  notes: '',
});

/** Log any of weight, sleep, steps, water and mood, with a note; at least one. */
export function MetricForm() {
  const prefs = usePreferences();
  const logMetric = useLogMetric();
  const [saved, setSaved] = useState(false);
  // Raw: the form keeps what was typed (text), and the submit reads the parsed numbers itself.
  const form = useForm<MetricFormInput>({
    resolver: zodResolver(metricFormSchema, undefined, { raw: true }),
    defaultValues: blank(prefs.timeZone),
  });
  const recordedAt = form.register('recordedAt');

  const submit = form.handleSubmit((raw) => {
    const values: MetricFormOutput = metricFormSchema.parse(raw);
    const when = fromLocalInput(values.recordedAt, prefs.timeZone);
    if (!when || when.getTime() > Date.now() + 60_000) {
      form.setError('recordedAt', { message: 'That time is in the future.' });
      return;
    }
    setSaved(false);
    logMetric.mutate(
      { ...values, recordedAt: when.toISOString() },
      {
        onSuccess: () => {
          setSaved(true);
          form.reset(blank(prefs.timeZone));
        },
        onError: (error) => applyServerErrors(error, form.setError, FIELDS),
      },
    );
  });

  return (
    <form className="form" onSubmit={(event) => void submit(event)} aria-label="Log body metrics" noValidate>
      <div className="metric-grid">
        <TextField control={form.control} name="weightKg" label="Weight (kg)" inputMode="decimal" />
        <TextField control={form.control} name="sleepHours" label="Sleep (hours)" inputMode="decimal" />
        <TextField control={form.control} name="steps" label="Steps" inputMode="numeric" />
        <TextField control={form.control} name="waterMl" label="Water (ml)" inputMode="numeric" />
        <TextField control={form.control} name="mood" label="Mood (1 low – 5 high)" inputMode="numeric" />
        <div className="field">
          <label className="field-label" htmlFor="metric-when">
            When
          </label>
          <input id="metric-when" className="field-input" type="datetime-local" {...recordedAt} />
          {form.formState.errors.recordedAt ? (
            <span className="field-error">{form.formState.errors.recordedAt.message}</span>
          ) : null}
        </div>
      </div>
      <TextField control={form.control} name="notes" label="Notes (optional)" />
      {logMetric.isError ? <ProblemAlert error={logMetric.error} title="Not saved" /> : null}
      <div className="meal-form-footer">
        <Button type="submit" isDisabled={logMetric.isPending}>
          {logMetric.isPending ? 'Saving…' : 'Save'}
        </Button>
        <div className="meal-form-status" aria-live="polite">
          {saved ? <span className="muted">Saved.</span> : null}
        </div>
      </div>
    </form>
  );
}
