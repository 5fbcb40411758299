import { Link } from 'react-router';

import { Button } from '../../../components/ui/button';
import { EmptyState, Loading } from '../../../components/ui/status';
import { formatDateTime } from '../../../lib/dates';
import { useSecurityEvents } from '../api/list-security-events';
import { AdminProblem } from './admin-problem';

interface SecurityEntry {
  action: string;
  subject: { type: string; id: string };
}

/** What an entry is about, in words: a refused webhook's reason, a summary's count, else the subject. */
function EntryWhat({ entry }: { entry: SecurityEntry }) {
  if (entry.action === 'billing.webhook.rejections_unrecorded') {
    return <>{entry.subject.id} more refused that minute, over the limit recorded one by one</>;
  }
  if (entry.subject.type === 'stripe_webhook') {
    return (
      <>
        refused: <code className="mono">{entry.subject.id}</code>
      </>
    );
  }
  return (
    <>
      {entry.subject.type} <code className="mono">{entry.subject.id}</code>
    </>
  );
}

/** The last 24 hours of security events in the audit log, each linked to its request's entries. */
export function SecurityEvents() {
  const events = useSecurityEvents();
  if (events.isPending) return <Loading minHeight="8rem" label="Reading security events…" />;
  if (events.isError) return <AdminProblem error={events.error} title="Security events could not be read" />;
  return (
    <div className="stack">
      {events.data.map((kind, index) => (
        <section key={kind.action} aria-labelledby={`security-events-${String(index)}`} className="stack">
          <h3 id={`security-events-${String(index)}`}>
            {kind.label}:{' '}
            <span className="num">
              {kind.entries.length}
              {kind.more ? '+' : ''}
            </span>
          </h3>
          {kind.entries.length === 0 ? (
            <EmptyState title="None in the last 24 hours" />
          ) : (
            <ul className="admin-events">
              {kind.entries.map((entry) => (
                <li key={entry.sequence}>
                  {formatDateTime(entry.occurredAt)} · <EntryWhat entry={entry} />
                  {entry.sourceIp ? ` from ${entry.sourceIp}` : ''} ·{' '}
                  <Link to={`/admin/audit?correlationId=${encodeURIComponent(entry.correlationId)}`}>
                    entries of request {entry.correlationId}
                  </Link>
                </li>
              ))}
            </ul>
          )}
        </section>
      ))}
      <p className="muted">
        A lock-out pauses an account’s sign-in or two-step codes after repeated refusals; it shares the
        request of the refusal that caused it. Billing records a limited number of refused webhooks a minute
        (30 by default); a minute with more says how many it left out.
      </p>
      <Button variant="quiet" onPress={() => void events.refetch()} isDisabled={events.isFetching}>
        Refresh
      </Button>
    </div>
  );
}
