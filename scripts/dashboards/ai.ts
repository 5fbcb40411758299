import { type Dashboard } from './model';
import { histogramQuantile, inRange, perMinute, rate, sel, sumBy } from './promql';
import { dashboard, flagMapping, highlight, instanceVariable, stat, thresholds, timeseries } from './panels';

// AI providers

export function aiDashboard(): Dashboard {
  const on = ['job="ai-inference"', 'instance=~"$instance"'];
  const requests = (...matchers: string[]) => sel('ai_requests_total', [...on, ...matchers]);
  const results = (...matchers: string[]) => sel('ai_results_total', [...on, ...matchers]);
  return dashboard({
    uid: 'tracking-ai',
    title: 'Tracking / AI providers',
    description:
      'Calls to the language-model providers (anthropic, qwen, offline): traffic, failures, latency, tokens, circuit breakers and budget.',
    tags: ['ai'],
    variables: [instanceVariable('ai-inference')],
    sections: [
      {
        title: 'Overview',
        cells: [
          stat({
            title: 'Provider call rate',
            description: 'Provider calls per second over all providers and operations.',
            unit: 'reqps',
            query: { expr: sumBy([], rate(requests())), legend: 'rate' },
            thresholds: thresholds('blue'),
            noValue: 'no traffic',
          }),
          stat({
            title: 'Provider error ratio',
            description:
              'Share of provider calls that did not succeed (any outcome but success). Orange above 5%, red above 20%; the panels below say which provider and why.',
            unit: 'percentunit',
            query: {
              expr: `(${sumBy([], rate(requests('outcome!="success"')))} or vector(0)) / ${sumBy([], rate(requests()))}`,
              legend: 'ratio',
            },
            thresholds: thresholds('green', ['orange', 0.05], ['red', 0.2]),
            noValue: 'no traffic',
            decimals: 1,
          }),
          stat({
            title: 'Circuit breakers',
            description:
              'Each provider’s circuit breaker: OPEN (or half-open) means calls skip that provider and go to the next one. An open circuit on the primary provider means degraded answers until it closes.',
            unit: 'none',
            query: { expr: `max by (provider) (${sel('ai_circuit_open', on)})`, legend: '{{provider}}' },
            thresholds: thresholds('green', ['red', 1]),
            mappings: flagMapping('closed', 'OPEN'),
            noValue: 'not reported',
          }),
          stat({
            title: 'Budget exhausted (time range)',
            description:
              'Estimates and reviews refused because the AI spending budget ran out, over the selected time range. Any value means users got no AI answer: raise the budget or find what is consuming it (tokens by provider).',
            unit: 'short',
            query: { expr: `${sumBy([], inRange(results('result="budget_exhausted"')))} or vector(0)` },
            thresholds: thresholds('green', ['red', 1]),
          }),
        ],
      },
      {
        title: 'Providers',
        cells: [
          timeseries({
            title: 'Provider calls by provider and outcome',
            description:
              'Provider calls per second by provider and outcome: success, invalid_output / malformed (the model answered nonsense), unavailable (timeouts, 5xx), rejected (the provider refused the request) and circuit_open (skipped). Traffic moving from the primary provider to the next one is a failover.',
            unit: 'reqps',
            queries: [
              { expr: sumBy(['provider', 'outcome'], rate(requests())), legend: '{{provider}} {{outcome}}' },
            ],
            stack: true,
          }),
          timeseries({
            title: 'Error ratio by provider and outcome',
            description:
              'For each provider, the share of its calls that ended in each failure outcome. unavailable points at the provider; invalid_output or malformed at a prompt or model change.',
            unit: 'percentunit',
            queries: [
              {
                expr: `${sumBy(['provider', 'outcome'], rate(requests('outcome!="success"')))} / ignoring (outcome) group_left ${sumBy(['provider'], rate(requests()))}`,
                legend: '{{provider}} {{outcome}}',
              },
            ],
          }),
          timeseries({
            title: 'Latency by provider',
            description:
              'p50, p95 and p99 of provider call duration (including the SDK’s retries), by provider. A rising p99 with a steady p50 is retries; both rising is a slow provider. Calls near the timeout end as unavailable.',
            unit: 's',
            queries: [0.5, 0.95, 0.99].map((q) => ({
              expr: histogramQuantile(q, 'ai_request_duration_seconds', on, ['provider']),
              legend: `{{provider}} p${q * 100}`,
            })),
          }),
          timeseries({
            title: 'Tokens by provider and direction',
            description:
              'Tokens per second the providers reported, by provider and direction (input, output). Cost follows this; input rising without more calls means longer prompts.',
            unit: 'short',
            queries: [
              {
                expr: sumBy(['provider', 'direction'], rate(sel('ai_tokens_total', on))),
                legend: '{{provider}} {{direction}}',
              },
            ],
          }),
        ],
      },
      {
        title: 'Results',
        cells: [
          timeseries({
            title: 'Failed results by reason',
            description:
              'Estimates and reviews per minute that the service could not answer, by operation and reason (budget_exhausted, plan_limit, invalid_output, unavailable, unrecognised, ...). This is what users see, after every provider was tried.',
            unit: 'opm',
            queries: [
              {
                expr: perMinute(sumBy(['operation', 'result'], rate(results('result!="success"')))),
                legend: '{{operation}} {{result}}',
              },
            ],
            bars: true,
          }),
          timeseries({
            title: 'Budget exhaustion',
            description:
              'Estimates and reviews refused per minute because the spending budget ran out, by operation. Starts when the budget is used up and stops when it resets or is raised.',
            unit: 'opm',
            queries: [
              {
                expr: perMinute(sumBy(['operation'], rate(results('result="budget_exhausted"')))),
                legend: '{{operation}}',
              },
            ],
            overrides: [highlight('.*', 'red')],
            bars: true,
          }),
        ],
      },
    ],
  });
}
