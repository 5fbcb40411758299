import { zodResolver } from '@hookform/resolvers/zod';
import { useId, useMemo, useState } from 'react';
import { useForm } from 'react-hook-form';
import { useSearchParams } from 'react-router';

import { Button } from '../../../components/ui/button';
import { EmptyState, Loading } from '../../../components/ui/status';
import { TextField } from '../../../components/ui/text-field';
import { formatDateTime } from '../../../lib/dates';
import {
  auditExportUrl,
  auditFiltersSchema,
  useAuditEntries,
  type AuditFilterForm,
  type AuditFilters,
} from '../api/list-audit-entries';
import { AdminProblem } from './admin-problem';

const TEXT_FILTERS = [
  ['actorUserId', 'Actor (user id)'],
  ['subjectType', 'Subject type'],
  ['subjectId', 'Subject id'],
  ['action', 'Action'],
  ['correlationId', 'Correlation id'],
] as const;
const FILTER_NAMES = [...TEXT_FILTERS.map(([name]) => name), 'outcome', 'from', 'to'] as const;

/** The filters in the address bar, so a search can be linked to (e.g. from a role change). */
function filtersOf(params: URLSearchParams): AuditFilters {
  const filters: Partial<Record<(typeof FILTER_NAMES)[number], string>> = {};
  for (const name of FILTER_NAMES) {
    const value = params.get(name);
    if (value) filters[name] = value;
  }
  return filters as AuditFilters;
}

/** A datetime-local value (the browser's zone) as RFC 3339, and back. */
const toInstant = (local: string) => (local ? new Date(local).toISOString() : '');
function toLocal(iso: string | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  const shifted = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return shifted.toISOString().slice(0, 16);
}

/**
 * Chromium draws a date-and-time field in the browser's own date order (mm/dd/yyyy for an en-US
 * browser) whatever the page's language, so the hint under it says which moment is chosen with
 * the month in words, and before that that the field is in local time.
 */
function momentHint(local: string | undefined): string {
  if (!local) return 'Your local time, in the date order your browser shows';
  const moment = new Date(local);
  return Number.isNaN(moment.getTime()) ? '' : `Chosen: ${formatDateTime(moment.toISOString())}, your time`;
}

function AuditTable({ filters }: { filters: AuditFilters }) {
  // The cursors of the pages before this one, so "Previous" goes back without a backwards API.
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const entries = useAuditEntries(filters, cursor);

  if (entries.isPending) return <Loading minHeight="12rem" label="Reading the audit log…" />;
  if (entries.isError) return <AdminProblem error={entries.error} title="The audit log could not be read" />;
  const page = entries.data;
  return (
    <div className="stack">
      {page.entries.length === 0 ? (
        <EmptyState title="No entries match">
          <p className="muted">Entries arrive a moment after the action: try again shortly.</p>
        </EmptyState>
      ) : (
        <div className="table-scroll" tabIndex={0} role="region" aria-label="Audit entries">
          <table className="table admin-audit">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">When</th>
                <th scope="col">Action</th>
                <th scope="col">Outcome</th>
                <th scope="col">Actor</th>
                <th scope="col">Subject</th>
                <th scope="col">Correlation id</th>
              </tr>
            </thead>
            <tbody>
              {page.entries.map((entry) => (
                <tr key={entry.sequence}>
                  <td className="num">{entry.sequence}</td>
                  <td>{formatDateTime(entry.occurredAt)}</td>
                  <td className="mono">{entry.action}</td>
                  <td>{entry.outcome}</td>
                  <td>
                    {entry.actor.service}
                    {entry.actor.userId ? (
                      <>
                        {' '}
                        <code className="mono">{entry.actor.userId}</code>
                      </>
                    ) : null}
                    {entry.actor.role ? ` (${entry.actor.role})` : ''}
                  </td>
                  <td>
                    {entry.subject.type} <code className="mono">{entry.subject.id}</code>
                  </td>
                  <td className="mono">{entry.correlationId}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div className="row">
        <Button
          variant="secondary"
          isDisabled={cursors.length === 0}
          onPress={() => setCursors(cursors.slice(0, -1))}
        >
          Newer entries
        </Button>
        <Button
          variant="secondary"
          isDisabled={!page.nextCursor}
          onPress={() => page.nextCursor && setCursors([...cursors, page.nextCursor])}
        >
          Older entries
        </Button>
        <Button variant="quiet" onPress={() => void entries.refetch()} isDisabled={entries.isFetching}>
          Refresh
        </Button>
      </div>
    </div>
  );
}

/** Search the audit log, page through it, and export what the search matches. */
export function AuditLog() {
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => filtersOf(params), [params]);
  const outcomeId = useId();
  const form = useForm<AuditFilterForm>({
    resolver: zodResolver(auditFiltersSchema),
    defaultValues: {
      actorUserId: filters.actorUserId ?? '',
      subjectType: filters.subjectType ?? '',
      subjectId: filters.subjectId ?? '',
      action: filters.action ?? '',
      correlationId: filters.correlationId ?? '',
      outcome: filters.outcome ?? '',
      from: toLocal(filters.from),
      to: toLocal(filters.to),
    },
  });

  const submit = form.handleSubmit((values) => {
    const next: Record<string, string> = {};
    for (const [name, value] of Object.entries({
      ...values,
      from: toInstant(values.from),
      to: toInstant(values.to),
    }))
      if (value) next[name] = value;
    setParams(next);
  });

  return (
    <div className="stack">
      <form className="admin-filters" onSubmit={(event) => void submit(event)} noValidate role="search">
        {TEXT_FILTERS.map(([name, label]) => (
          <TextField
            key={name}
            control={form.control}
            name={name}
            label={label}
            description={name === 'action' ? 'Exact, or a prefix ending in .* (auth.login.*)' : undefined}
          />
        ))}
        <div className="field">
          <label className="field-label" htmlFor={`${outcomeId}-outcome`}>
            Outcome
          </label>
          <select id={`${outcomeId}-outcome`} className="select" {...form.register('outcome')}>
            <option value="">any</option>
            <option value="success">success</option>
            <option value="failure">failure</option>
            <option value="denied">denied</option>
          </select>
        </div>
        <div className="field">
          <label className="field-label" htmlFor={`${outcomeId}-from`}>
            From
          </label>
          <input
            id={`${outcomeId}-from`}
            className="field-input"
            type="datetime-local"
            lang="en-NZ"
            aria-describedby={`${outcomeId}-from-hint`}
            {...form.register('from')}
          />
          <span id={`${outcomeId}-from-hint`} className="field-description">
            {momentHint(form.watch('from'))}
          </span>
        </div>
        <div className="field">
          <label className="field-label" htmlFor={`${outcomeId}-to`}>
            Until
          </label>
          <input
            id={`${outcomeId}-to`}
            className="field-input"
            type="datetime-local"
            lang="en-NZ"
            aria-describedby={`${outcomeId}-to-hint`}
            {...form.register('to')}
          />
          <span id={`${outcomeId}-to-hint`} className="field-description">
            {momentHint(form.watch('to'))}
          </span>
        </div>
        <div className="row">
          <Button type="submit">Search</Button>
          <Button
            variant="quiet"
            onPress={() => {
              form.reset({
                actorUserId: '',
                subjectType: '',
                subjectId: '',
                action: '',
                correlationId: '',
                outcome: '',
                from: '',
                to: '',
              });
              setParams({});
            }}
          >
            Clear
          </Button>
        </div>
      </form>
      <p className="row">
        <a className="btn btn-secondary" href={auditExportUrl(filters, 'csv')} download>
          Export as CSV
        </a>
        <a className="btn btn-secondary" href={auditExportUrl(filters, 'json')} download>
          Export as JSON
        </a>
        <span className="muted">
          Every entry this search matches, oldest first; the export is itself audited.
        </span>
      </p>
      {/* A new search starts at its first page. */}
      <AuditTable key={params.toString()} filters={filters} />
    </div>
  );
}
