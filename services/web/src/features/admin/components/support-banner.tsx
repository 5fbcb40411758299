import { Link } from 'react-router';

import './admin.css';

import { formatDateTime } from '../../../lib/dates';
import { useSupportGrants } from '../api/list-support-grants';
import { useNow } from './use-now';

function left(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.floor((ms % 60_000) / 1000);
  return minutes > 0 ? `${String(minutes)} min ${String(seconds)} s` : `${String(seconds)} s`;
}

/**
 * On every page while an admin's break-glass grant lasts: which client, until when, and how
 * long is left, as tracking lists the admin's open grants. It disappears at the expiry; tracking
 * refuses reads from then on anyway. An admin the API refuses (no MFA yet) sees no banner here;
 * the page they are on explains the refusal.
 */
export function SupportBanner() {
  const now = useNow();
  const grants = (useSupportGrants().data ?? []).filter((grant) => Date.parse(grant.expiresAt) > now);
  if (grants.length === 0) return null;
  return (
    <section className="support-banner" aria-label="Active support access">
      {grants.map((grant) => (
        <p key={grant.grantId}>
          <strong>Support access open</strong> to client <code className="mono">{grant.clientId}</code> until{' '}
          {formatDateTime(grant.expiresAt)} ({left(Date.parse(grant.expiresAt) - now)} left). Every read is
          audited. <Link to={`/admin/support?client=${grant.clientId}`}>Open</Link>
        </p>
      ))}
    </section>
  );
}
