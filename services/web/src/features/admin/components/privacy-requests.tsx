import { useId, useState } from 'react';

import { Button } from '../../../components/ui/button';
import { EmptyState, Loading } from '../../../components/ui/status';
import { formatDate, formatDateTime } from '../../../lib/dates';
import {
  usePrivacyRequests,
  type AdminPrivacyRequest,
  type PrivacyFilters,
  type PrivacyState,
} from '../api/privacy-requests';
import { AdminProblem } from './admin-problem';
import { useNow } from './use-now';

const STATES: PrivacyState[] = [
  'pending',
  'collecting',
  'assembling',
  'ready',
  'expired',
  'scheduled',
  'cancelled',
  'erasing',
  'completed',
  'failed',
];
const FINISHED = new Set<PrivacyState>(['ready', 'expired', 'cancelled', 'completed', 'failed']);
const DAY = 86_400_000;

/** Age against the legal deadline, in words: "3 days old, due in 28 days" or "2 days overdue". */
function Deadline({ request, now }: { request: AdminPrivacyRequest; now: number }) {
  // Never below zero: a request made since the clock on screen last ticked is 0 days old.
  const age = Math.max(0, Math.floor((now - Date.parse(request.requestedAt)) / DAY));
  const ageText = `${String(age)} ${age === 1 ? 'day' : 'days'} old`;
  if (FINISHED.has(request.state))
    return (
      <>
        {ageText}, finished {formatDate(request.finishedAt)}
      </>
    );
  const left = Math.floor((Date.parse(request.dueAt) - now) / DAY);
  if (left < 0)
    return (
      <span className="missed">
        {ageText}, {String(-left)} days overdue (due {formatDate(request.dueAt)})
      </span>
    );
  if (left === 0)
    return (
      <>
        {ageText}, due today ({formatDate(request.dueAt)})
      </>
    );
  return (
    <>
      {ageText}, due in {String(left)} {left === 1 ? 'day' : 'days'} ({formatDate(request.dueAt)})
    </>
  );
}

function Steps({ request }: { request: AdminPrivacyRequest }) {
  // An erasure does nothing while it cools off, and nothing at all once cancelled.
  if (request.state === 'scheduled') return <>none until it runs</>;
  if (request.state === 'cancelled') return <>none: cancelled</>;
  if (request.steps.length === 0) return <>none yet</>;
  return (
    <ul className="privacy-steps">
      {request.steps.map((step) => (
        <li key={step.service}>
          {step.service}: {step.state}
          {step.failure ? ` (${step.failure})` : ''}
        </li>
      ))}
    </ul>
  );
}

/** Every export and erasure, newest first, with its steps and its deadline; filtered by kind and state. */
export function PrivacyRequests() {
  const [filters, setFilters] = useState<PrivacyFilters>({});
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const page = usePrivacyRequests(filters, cursor);
  const now = useNow(10_000);
  const id = useId();

  const filter = (next: PrivacyFilters) => {
    setFilters({ ...filters, ...next });
    setCursors([]);
  };

  return (
    <div className="stack">
      <div className="form admin-search" role="search" aria-label="Filter privacy requests">
        <div className="field">
          <label className="field-label" htmlFor={`${id}-kind`}>
            Kind
          </label>
          <select
            id={`${id}-kind`}
            className="select"
            value={filters.kind ?? ''}
            onChange={(event) =>
              filter({ kind: (event.target.value || undefined) as PrivacyFilters['kind'] })
            }
          >
            <option value="">exports and erasures</option>
            <option value="export">exports</option>
            <option value="erasure">erasures</option>
          </select>
        </div>
        <div className="field">
          <label className="field-label" htmlFor={`${id}-state`}>
            State
          </label>
          <select
            id={`${id}-state`}
            className="select"
            value={filters.state ?? ''}
            onChange={(event) =>
              filter({ state: (event.target.value || undefined) as PrivacyState | undefined })
            }
          >
            <option value="">any</option>
            {STATES.map((state) => (
              <option key={state} value={state}>
                {state}
              </option>
            ))}
          </select>
        </div>
      </div>
      {page.isPending ? (
        <Loading minHeight="8rem" label="Reading privacy requests…" />
      ) : page.isError ? (
        <AdminProblem error={page.error} title="The privacy requests could not be read" />
      ) : (
        <>
          <p role="status">
            {page.data.openCount === 0
              ? 'No request is open.'
              : `${String(page.data.openCount)} open; the oldest is ${String(Math.floor(page.data.oldestOpenAgeSeconds / 86_400))} days old.`}
          </p>
          {page.data.requests.length === 0 ? (
            <EmptyState title="No privacy requests match" />
          ) : (
            <div className="table-scroll" tabIndex={0} role="region" aria-label="Privacy requests">
              <table className="table admin-audit">
                <thead>
                  <tr>
                    <th scope="col">Asked</th>
                    <th scope="col">Kind</th>
                    <th scope="col">User</th>
                    <th scope="col">State</th>
                    <th scope="col">Deadline</th>
                    <th scope="col">Steps</th>
                  </tr>
                </thead>
                <tbody>
                  {page.data.requests.map((request) => (
                    <tr key={request.id}>
                      <td className="num">{formatDateTime(request.requestedAt)}</td>
                      <td>
                        {request.kind}
                        {request.requestedBy === request.subjectId ? '' : ' (by an admin)'}
                      </td>
                      <td>
                        <code className="mono">{request.subjectId}</code>
                      </td>
                      <td>
                        {request.state}
                        {request.state === 'scheduled' && request.scheduledFor
                          ? `, runs ${formatDateTime(request.scheduledFor)}`
                          : ''}
                        {request.failure ? <span className="missed">: {request.failure}</span> : null}
                      </td>
                      <td>
                        <Deadline request={request} now={now} />
                      </td>
                      <td>
                        <Steps request={request} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <div className="row">
            {cursors.length > 0 ? (
              <Button variant="secondary" onPress={() => setCursors(cursors.slice(0, -1))}>
                Newer
              </Button>
            ) : null}
            {page.data.nextCursor ? (
              <Button
                variant="secondary"
                onPress={() => setCursors([...cursors, page.data.nextCursor ?? ''])}
              >
                Older
              </Button>
            ) : null}
          </div>
        </>
      )}
    </div>
  );
}
