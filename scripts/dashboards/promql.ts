// PromQL

/** `metric{a="b", c=~"d"}`, or the bare metric without matchers. */
export function sel(metric: string, matchers: readonly string[]): string {
  return matchers.length === 0 ? metric : `${metric}{${matchers.join(', ')}}`;
}

export function rate(selector: string, window = '$__rate_interval'): string {
  return `rate(${selector}[${window}])`;
}

/** How many times a counter went up over the dashboard's time range (for stat panels). */
export function inRange(selector: string): string {
  return `increase(${selector}[$__range])`;
}

export function sumBy(labels: readonly string[], expr: string): string {
  return labels.length === 0 ? `sum(${expr})` : `sum by (${labels.join(', ')}) (${expr})`;
}

/** Rare events read better per minute than as 0.003/s. */
export function perMinute(expr: string): string {
  return `60 * ${expr}`;
}

export function histogramQuantile(
  q: number,
  histogram: string,
  matchers: readonly string[],
  by: readonly string[],
): string {
  return `histogram_quantile(${q}, ${sumBy(['le', ...by], rate(sel(`${histogram}_bucket`, matchers)))})`;
}
