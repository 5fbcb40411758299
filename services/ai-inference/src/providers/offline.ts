import { reviewRequestedSchema } from '@tracking/contracts';

import { estimateFromTable, writeRuleReview } from './offline-foods';
import { ProviderError, type JsonTask, type Provider, type ProviderAnswer } from './provider';

export const OFFLINE_MODEL = 'offline-table-v1';

/**
 * The offline estimator: a food table for meals and rules for reviews, in process. It needs
 * no key and no network, so the local stack works without a provider account, and an operator
 * may list it last as a degraded fallback. It never claims high confidence.
 */
export function offlineProvider(): Provider {
  return {
    name: 'offline',
    model: OFFLINE_MODEL,
    complete(task: JsonTask): Promise<ProviderAnswer> {
      const answer = (output: unknown): ProviderAnswer => ({
        output,
        model: OFFLINE_MODEL,
        inputTokens: 0,
        outputTokens: 0,
      });
      if (task.operation === 'estimate_meal') {
        const estimate = estimateFromTable(task.input);
        if (!estimate)
          return Promise.reject(new ProviderError('unrecognised', 'no food in the table matched'));
        return Promise.resolve(answer(estimate));
      }
      const week = reviewRequestedSchema
        .pick({ weekStart: true, days: true, goals: true })
        .safeParse(JSON.parse(task.input));
      if (!week.success) return Promise.reject(new ProviderError('rejected', 'the week does not parse'));
      return Promise.resolve(answer(writeRuleReview(week.data)));
    },
  };
}
