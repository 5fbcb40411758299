import { useMutation, useQueryClient } from '@tanstack/react-query';
import { z } from 'zod';

import { api, unwrap } from '../../../lib/api-client';
import { metricKeys } from './keys';

export const logMetricInputSchema = z.object({
  recordedAt: z.iso.datetime({ offset: true }),
  weightKg: z.number().optional(),
  sleepHours: z.number().optional(),
  steps: z.number().int().optional(),
  waterMl: z.number().int().optional(),
  mood: z.number().int().optional(),
  notes: z.string().max(2000).default(''),
});
export type LogMetricInput = z.input<typeof logMetricInputSchema>;

export function logMetric(input: LogMetricInput) {
  return unwrap(api.POST('/api/v1/me/metrics', { body: logMetricInputSchema.parse(input) }));
}

export function useLogMetric() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: logMetric,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: metricKeys.all }),
  });
}
