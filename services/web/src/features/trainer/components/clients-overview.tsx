import { useId, useState } from 'react';
import { Link } from 'react-router';

import { ProblemAlert } from '../../../components/ui/problem-alert';
import { EmptyState, Loading } from '../../../components/ui/status';
import { formatDateTime, formatEnergy, formatNumber } from '../../preferences/format';
import { usePreferences } from '../../preferences/preferences';
import { QUIET_DAYS, useClientOverviews, type ClientOverview } from '../api/client-overview';
import type { TrainerLink } from '../api/list-links';

const SORTS = {
  attention: 'Needs attention first',
  name: 'Email, A to Z',
  lastMeal: 'Last meal, newest first',
  daysLogged: 'Days logged this week, most first',
} as const;
type Sort = keyof typeof SORTS;

const time = (iso: string | null) => (iso ? new Date(iso).getTime() : 0);

const compare: Record<Sort, (a: ClientOverview, b: ClientOverview) => number> = {
  attention: (a, b) => Number(b.quiet) - Number(a.quiet) || time(a.lastMealAt) - time(b.lastMealAt),
  name: (a, b) => a.link.invitedEmail.localeCompare(b.link.invitedEmail),
  lastMeal: (a, b) => time(b.lastMealAt) - time(a.lastMealAt),
  daysLogged: (a, b) => b.daysLoggedThisWeek - a.daysLoggedThisWeek,
};

function ClientCard({ row }: { row: ClientOverview }) {
  const prefs = usePreferences();
  const weight =
    row.latestWeightKg === null ? 'None in 30 days' : `${formatNumber(row.latestWeightKg, prefs, 1)} kg`;
  const change =
    row.weightChangeKg === null
      ? ''
      : row.weightChangeKg === 0
        ? ', steady over 30 days'
        : `, ${row.weightChangeKg > 0 ? 'up' : 'down'} ${formatNumber(Math.abs(row.weightChangeKg), prefs, 1)} kg over 30 days`;
  return (
    <li className="card client-card" data-quiet={row.quiet}>
      <h2 className="client-card-title">
        <Link to={`/clients/${row.link.clientId}`}>{row.link.invitedEmail}</Link>{' '}
        {row.quiet ? (
          <span className="badge badge-warn">{`No meal logged in ${String(QUIET_DAYS)} days`}</span>
        ) : null}
      </h2>
      <dl className="facts">
        <dt>Last meal</dt>
        <dd>{row.lastMealAt ? formatDateTime(row.lastMealAt, prefs) : 'None in the last 7 days'}</dd>
        <dt>Days logged this week</dt>
        <dd className="num">{`${String(row.daysLoggedThisWeek)} of 7`}</dd>
        <dt>Energy, 7 days</dt>
        <dd className="num">
          {row.averageCalories === null
            ? 'No estimated meals'
            : `${formatEnergy(row.averageCalories, prefs)} a day on average`}
          {row.goalCalories === null
            ? ' (no goal set)'
            : ` against a goal of ${formatEnergy(row.goalCalories, prefs)}`}
        </dd>
        <dt>Weight</dt>
        <dd className="num">
          {weight}
          {change}
        </dd>
      </dl>
    </li>
  );
}

/** Every client's week at a glance, sorted and filtered as the trainer likes. */
export function ClientsOverview({ clients }: { clients: readonly (TrainerLink & { clientId: string })[] }) {
  const prefs = usePreferences();
  const id = useId();
  const [sort, setSort] = useState<Sort>('attention');
  const [search, setSearch] = useState('');
  const [quietOnly, setQuietOnly] = useState(false);
  const overview = useClientOverviews(clients, prefs.timeZone);

  if (clients.length === 0)
    return (
      <EmptyState title="No clients yet">
        Invite a client by email below; once they accept, their week shows here.
      </EmptyState>
    );
  if (overview.pending && overview.rows.length === 0)
    return <Loading label="Loading your clients’ week…" minHeight="8rem" />;

  const needle = search.trim().toLowerCase();
  const rows = overview.rows
    .filter((row) => (!quietOnly || row.quiet) && row.link.invitedEmail.includes(needle))
    .sort(compare[sort]);

  return (
    <div className="stack">
      <div className="chart-controls">
        <div className="field">
          <label className="field-label" htmlFor={`${id}-search`}>
            Find by email
          </label>
          <input
            id={`${id}-search`}
            className="field-input"
            type="search"
            value={search}
            onChange={(event) => setSearch(event.target.value)}
          />
        </div>
        <div className="field">
          <label className="field-label" htmlFor={`${id}-sort`}>
            Sort
          </label>
          <select
            id={`${id}-sort`}
            className="select"
            value={sort}
            onChange={(event) => setSort(event.target.value as Sort)}
          >
            {Object.entries(SORTS).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <label className="checkbox">
          <input
            type="checkbox"
            checked={quietOnly}
            onChange={(event) => setQuietOnly(event.target.checked)}
          />
          {`Only those with no meal in ${String(QUIET_DAYS)} days`}
        </label>
      </div>
      {overview.error ? (
        <ProblemAlert error={overview.error} title="Some clients could not be loaded" />
      ) : null}
      {rows.length === 0 ? (
        <EmptyState title="No client matches">Clear the search or the filter to see everyone.</EmptyState>
      ) : (
        <ul className="client-list" aria-label="Clients">
          {rows.map((row) => (
            <ClientCard key={row.link.clientId} row={row} />
          ))}
        </ul>
      )}
    </div>
  );
}
