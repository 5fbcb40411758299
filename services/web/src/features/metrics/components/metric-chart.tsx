import { useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

import { ProblemAlert } from '../../../components/ui/problem-alert';
import { EmptyState, Loading } from '../../../components/ui/status';
import { formatDateTime, formatNumber, formatShortDay } from '../../preferences/format';
import { usePreferences } from '../../preferences/preferences';
import { MY_METRICS, RANGES, type MetricSource, type RangeDays } from '../api/list-metrics';
import { METRIC_KINDS, type MetricKind } from '../api/metric-input';

const CHART_HEIGHT = 260;

/**
 * One metric over 7, 30 or 90 days: one line in one colour of the Okabe-Ito palette, with a
 * marker on every entry (so colour is never the only cue), drawn in the theme's colours by
 * metrics.css, and the same numbers as a table for screen readers and anyone who prefers one.
 */
export function MetricChart({
  entries = MY_METRICS,
  emptyHint = 'Log an entry above and it appears here.',
}: {
  /** Whose entries: mine by default; the trainer console passes a client's. */
  entries?: MetricSource;
  emptyHint?: string;
} = {}) {
  const prefs = usePreferences();
  const id = useId();
  const [days, setDays] = useState<RangeDays>(30);
  const [kind, setKind] = useState<MetricKind>('weightKg');
  const metrics = useQuery({ queryKey: entries.key(days), queryFn: () => entries.load(days) });
  const spec = METRIC_KINDS[kind];

  const points = (metrics.data ?? [])
    .filter((metric) => metric[kind] !== null)
    .map((metric) => ({ at: new Date(metric.recordedAt).getTime(), value: metric[kind] as number, metric }));
  const show = (value: number) => `${formatNumber(value, prefs, spec.digits)} ${spec.unit}`;
  const latest = points.at(-1);
  const summary = latest
    ? `${spec.label} over the last ${String(days)} days: ${String(points.length)} ${points.length === 1 ? 'entry' : 'entries'}, latest ${show(latest.value)}.`
    : `No ${spec.label.toLowerCase()} logged in the last ${String(days)} days.`;

  return (
    <div className="stack">
      <div className="chart-controls">
        <div className="field">
          <label className="field-label" htmlFor={`${id}-kind`}>
            Show
          </label>
          <select
            id={`${id}-kind`}
            className="select"
            value={kind}
            onChange={(event) => setKind(event.target.value as MetricKind)}
          >
            {Object.entries(METRIC_KINDS).map(([value, { label }]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <fieldset className="range-picker">
          <legend className="field-label">Period</legend>
          {RANGES.map((range) => (
            <label key={range} className="range-option">
              <input
                type="radio"
                name={`${id}-range`}
                value={range}
                checked={days === range}
                onChange={() => setDays(range)}
              />
              {range} days
            </label>
          ))}
        </fieldset>
      </div>

      <div className="metric-chart" style={{ minHeight: CHART_HEIGHT }}>
        {metrics.isPending ? (
          <Loading label="Loading entries…" minHeight={`${String(CHART_HEIGHT)}px`} />
        ) : metrics.isError ? (
          <ProblemAlert error={metrics.error} title="We could not load the entries" />
        ) : points.length === 0 ? (
          <EmptyState title={summary}>{emptyHint}</EmptyState>
        ) : (
          <figure className="chart-figure" aria-label={summary}>
            <div aria-hidden="true">
              <ResponsiveContainer width="100%" height={CHART_HEIGHT}>
                <LineChart
                  data={points}
                  margin={{ top: 8, right: 16, bottom: 8, left: 0 }}
                  // The figure's caption and the table speak for the chart; a focusable SVG
                  // inside an aria-hidden wrapper would be a trap for keyboards.
                  accessibilityLayer={false}
                >
                  <CartesianGrid strokeDasharray="3 3" />
                  <XAxis
                    dataKey="at"
                    type="number"
                    scale="time"
                    // Half a day of room on the right, so today's marker is not cut by the edge.
                    domain={[Date.now() - days * 86_400_000, Date.now() + 43_200_000]}
                    tickFormatter={(at: number) => formatShortDay(new Date(at), prefs)}
                    minTickGap={24}
                  />
                  <YAxis
                    domain={['auto', 'auto']}
                    width={56}
                    tickFormatter={(value: number) => formatNumber(value, prefs, spec.digits)}
                  />
                  <Tooltip
                    labelFormatter={(at) => formatDateTime(new Date(Number(at)), prefs)}
                    formatter={(value) => [show(Number(value)), spec.label]}
                  />
                  <Line
                    type="monotone"
                    dataKey="value"
                    name={spec.label}
                    strokeWidth={2}
                    dot={{ r: 4 }}
                    activeDot={{ r: 6 }}
                    isAnimationActive={false}
                  />
                </LineChart>
              </ResponsiveContainer>
            </div>
            <figcaption className="muted">{summary}</figcaption>
          </figure>
        )}
      </div>

      {points.length > 0 ? (
        <details className="chart-table">
          <summary>Show as a table</summary>
          <table className="table num">
            <caption className="visually-hidden">{summary}</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">{spec.label}</th>
              </tr>
            </thead>
            <tbody>
              {[...points].reverse().map((point) => (
                <tr key={point.metric.metricId}>
                  <td>{formatDateTime(point.metric.recordedAt, prefs)}</td>
                  <td>{show(point.value)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      ) : null}
    </div>
  );
}
