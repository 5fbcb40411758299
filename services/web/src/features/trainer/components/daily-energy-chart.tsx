import {
  CartesianGrid,
  Line,
  LineChart,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';

import { energyValue, formatDay, formatEnergy, formatNumber, formatShortDay } from '../../preferences/format';
import { usePreferences } from '../../preferences/preferences';
import type { DayTotal } from '../api/client-meals';

const CHART_HEIGHT = 260;

/** A day as an instant for the axis: its local noon, so every zone draws it on its own date. */
const noonOf = (day: string) => new Date(`${day}T12:00:00Z`).getTime();

/**
 * The client's daily energy over the period against their goal: one line with a marker per day
 * (colour is never the only cue), the goal as a dashed line, the caption in words and every day
 * in a table.
 */
export function DailyEnergyChart({
  totals,
  goalCalories,
}: {
  totals: readonly DayTotal[];
  goalCalories: number | null;
}) {
  const prefs = usePreferences();
  const utc = { ...prefs, timeZone: 'UTC' };
  const logged = totals.filter((total) => total.meals > 0);
  const points = totals.map((total) => ({
    at: noonOf(total.day),
    // A day without meals is a gap, not a zero.
    value: total.meals > 0 ? energyValue(total.calories, prefs.energy) : null,
    total,
  }));
  const average = logged.length
    ? Math.round(logged.reduce((sum, total) => sum + total.calories, 0) / logged.length)
    : null;
  const summary =
    average === null
      ? `No meals logged in the last ${String(totals.length)} days.`
      : `Energy over the last ${String(totals.length)} days: ${String(logged.length)} ${logged.length === 1 ? 'day' : 'days'} logged, ${formatEnergy(average, prefs)} a day on average${goalCalories === null ? '' : ` against a goal of ${formatEnergy(goalCalories, prefs)}`}.`;

  return (
    <div className="stack">
      <div className="metric-chart energy-chart" style={{ minHeight: CHART_HEIGHT }}>
        <figure className="chart-figure" aria-label={summary}>
          <div aria-hidden="true">
            <ResponsiveContainer width="100%" height={CHART_HEIGHT}>
              <LineChart
                data={points}
                margin={{ top: 8, right: 16, bottom: 8, left: 8 }}
                accessibilityLayer={false}
              >
                <CartesianGrid strokeDasharray="3 3" />
                <XAxis
                  dataKey="at"
                  type="number"
                  scale="time"
                  domain={['dataMin', 'dataMax']}
                  tickFormatter={(at: number) => formatShortDay(new Date(at), utc)}
                  minTickGap={24}
                />
                <YAxis width={64} tickFormatter={(value: number) => formatNumber(value, prefs)} />
                <Tooltip
                  labelFormatter={(at) => formatDay(new Date(Number(at)), utc)}
                  formatter={(value) => [`${formatNumber(Number(value), prefs)} ${prefs.energy}`, 'Energy']}
                />
                {goalCalories === null ? null : (
                  <ReferenceLine y={energyValue(goalCalories, prefs.energy)} ifOverflow="extendDomain" />
                )}
                <Line
                  type="monotone"
                  dataKey="value"
                  strokeWidth={2}
                  dot={{ r: 3 }}
                  isAnimationActive={false}
                />
              </LineChart>
            </ResponsiveContainer>
          </div>
          <figcaption className="muted">{summary}</figcaption>
        </figure>
      </div>
      <details className="chart-table">
        <summary>Show as a table</summary>
        <table className="table num">
          <caption className="visually-hidden">{summary}</caption>
          <thead>
            <tr>
              <th scope="col">Day</th>
              <th scope="col">Meals</th>
              <th scope="col">Energy</th>
              <th scope="col">Protein</th>
            </tr>
          </thead>
          <tbody>
            {[...totals].reverse().map((total) => (
              <tr key={total.day}>
                <td>{formatDay(new Date(noonOf(total.day)), utc)}</td>
                <td>
                  {total.meals}
                  {total.unestimated ? ` (${String(total.unestimated)} without an estimate)` : ''}
                </td>
                <td>{formatEnergy(total.calories, prefs)}</td>
                <td>{`${formatNumber(total.proteinG, prefs)} g`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </div>
  );
}
