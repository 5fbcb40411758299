import { z } from 'zod';

import { api, unwrap } from '../../../lib/api-client';
import { metricKeys } from './keys';
import type { Metric } from './metric-input';

export const RANGES = [7, 30, 90] as const;
export type RangeDays = (typeof RANGES)[number];

export const listMetricsInputSchema = z.object({ days: z.union(RANGES.map((days) => z.literal(days))) });

const PAGE = 200;

/** Every metric of the last `days` days, oldest first (pages followed to the end: at most a few). */
export async function listMetricsSince(input: { days: RangeDays }): Promise<Metric[]> {
  const { days } = listMetricsInputSchema.parse(input);
  const from = new Date(Date.now() - days * 86_400_000).toISOString();
  const metrics: Metric[] = [];
  let cursor: string | undefined;
  do {
    const page = await unwrap(
      api.GET('/api/v1/me/metrics', {
        params: { query: { from, limit: PAGE, ...(cursor ? { cursor } : {}) } },
      }),
    );
    metrics.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor && metrics.length < 2_000);
  return metrics.reverse();
}

/** Whose entries a chart draws: the query key of a period, and how to read its entries, oldest first. */
export interface MetricSource {
  key: (days: RangeDays) => readonly unknown[];
  load: (days: RangeDays) => Promise<Metric[]>;
}

export const MY_METRICS: MetricSource = { key: metricKeys.range, load: (days) => listMetricsSince({ days }) };
