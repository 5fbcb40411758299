export const metricKeys = {
  all: ['metrics'] as const,
  range: (days: number) => ['metrics', 'range', days] as const,
};
