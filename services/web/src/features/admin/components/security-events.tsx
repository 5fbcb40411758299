import { Link } from 'react-router';

import { Button } from '../../../components/ui/button';
import { EmptyState, Loading } from '../../../components/ui/status';
import { formatDateTime } from '../../../lib/dates';
import { useSecurityEvents } from '../api/list-security-events';
import { AdminProblem } from './admin-problem';

/** The last 24 hours of security events in the audit log, each linked to its request's entries. */
export function SecurityEvents() {
  const events = useSecurityEvents();
  if (events.isPending) return <Loading minHeight="8rem" label="Reading security events…" />;
  if (events.isError) return <AdminProblem error={events.error} title="Security events could not be read" />;
  return (
    <div className="stack">
      {events.data.map((kind) => (
        <section key={kind.action} aria-labelledby={`events-${kind.action}`} className="stack">
          <h3 id={`events-${kind.action}`}>
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
                  {formatDateTime(entry.occurredAt)} · {entry.subject.type}{' '}
                  <code className="mono">{entry.subject.id}</code>
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
        A lock-out is the pause after repeated refused sign-ins, counted in auth_lockouts_total. Stripe
        webhooks refused for their signature never reach the audit log: billing counts them in
        billing_webhooks_total and logs each as billing.webhook.rejected.
      </p>
      <Button variant="quiet" onPress={() => void events.refetch()} isDisabled={events.isFetching}>
        Refresh
      </Button>
    </div>
  );
}
