import { queryOptions } from '@tanstack/react-query';
import { z } from 'zod';

import { api, unwrap } from '../../../lib/api-client';
import type { Metric } from '../../metrics/api/metric-input';
import type { MetricSource } from '../../metrics/api/list-metrics';
import { RANGES, type RangeDays } from './client-meals';
import { trainerConsoleKeys } from './keys';

export const clientMetricsInputSchema = z.object({
  clientId: z.uuid(),
  days: z.union(RANGES.map((days) => z.literal(days))),
});

const PAGE = 200;

/** A client's metrics of the last `days` days, oldest first (as the metric chart draws them). */
export async function listClientMetrics(input: { clientId: string; days: RangeDays }): Promise<Metric[]> {
  const { clientId, days } = clientMetricsInputSchema.parse(input);
  const from = new Date(Date.now() - days * 86_400_000).toISOString();
  const metrics: Metric[] = [];
  let cursor: string | undefined;
  do {
    const page = await unwrap(
      api.GET('/api/v1/trainer/clients/{clientId}/metrics', {
        params: { path: { clientId }, query: { from, limit: PAGE, ...(cursor ? { cursor } : {}) } },
      }),
    );
    metrics.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor && metrics.length < 2_000);
  return metrics.reverse();
}

export const clientMetricsQueryOptions = (clientId: string) => (days: RangeDays) =>
  queryOptions({
    queryKey: trainerConsoleKeys.metrics(clientId, days),
    queryFn: () => listClientMetrics({ clientId, days }),
  });

/** A client's entries for the metric chart, under the same keys as the overview's. */
export const clientMetricSource = (clientId: string): MetricSource => ({
  key: (days) => trainerConsoleKeys.metrics(clientId, days),
  load: (days) => listClientMetrics({ clientId, days }),
});
