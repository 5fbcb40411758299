import { z } from 'zod';

import type { components } from '../../../lib/api-client';

export type Metric = components['schemas']['Metric'];

/** The kinds of metric a client logs, with their units and the tracking service's ranges. */
export const METRIC_KINDS = {
  weightKg: { label: 'Weight', unit: 'kg', digits: 1 },
  sleepHours: { label: 'Sleep', unit: 'h', digits: 1 },
  steps: { label: 'Steps', unit: 'steps', digits: 0 },
  waterMl: { label: 'Water', unit: 'ml', digits: 0 },
  mood: { label: 'Mood', unit: '1–5', digits: 0 },
} as const;
export type MetricKind = keyof typeof METRIC_KINDS;

/** An optional number typed into a text box: empty is "not recorded". */
const optionalNumber = (rule: z.ZodNumber) =>
  z
    .string()
    .trim()
    .transform((value, context) => {
      if (value === '') return undefined;
      const number = Number(value.replace(',', '.'));
      if (!Number.isFinite(number)) {
        context.addIssue({ code: 'custom', message: 'Enter a number.' });
        return z.NEVER;
      }
      return number;
    })
    .pipe(rule.optional());

/**
 * The form's rules, the same as the tracking service's (services/tracking/src/metrics.ts,
 * metricInputSchema): each within what a person can measure, and at least one thing recorded.
 */
export const metricFormSchema = z
  .object({
    recordedAt: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/, 'Enter the date and time.'),
    weightKg: optionalNumber(z.number().gt(0, 'More than 0 kg.').lt(700, 'Less than 700 kg.')),
    sleepHours: optionalNumber(z.number().min(0, 'At least 0 hours.').max(24, 'At most 24 hours.')),
    steps: optionalNumber(
      z.number().int('Whole steps.').min(0, 'At least 0.').max(200_000, 'At most 200 000.'),
    ),
    waterMl: optionalNumber(
      z.number().int('Whole millilitres.').min(0, 'At least 0.').max(20_000, 'At most 20 000 ml.'),
    ),
    mood: optionalNumber(z.number().int('1 to 5.').min(1, '1 to 5.').max(5, '1 to 5.')),
    notes: z.string().trim().max(2000, 'Keep notes under 2000 characters.'),
  })
  .refine(
    (metric) =>
      [metric.weightKg, metric.sleepHours, metric.steps, metric.waterMl, metric.mood].some(
        (value) => value !== undefined,
      ) || metric.notes !== '',
    { message: 'Record at least one measurement or a note.', path: ['weightKg'] },
  );
export type MetricFormInput = z.input<typeof metricFormSchema>;
export type MetricFormOutput = z.output<typeof metricFormSchema>;
