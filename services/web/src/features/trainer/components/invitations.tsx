import { Button } from '../../../components/ui/button';
import { ProblemAlert } from '../../../components/ui/problem-alert';
import { EmptyState } from '../../../components/ui/status';
import { formatDateTime } from '../../preferences/format';
import { usePreferences } from '../../preferences/preferences';
import { useEndLink } from '../api/end-link';
import type { TrainerLink } from '../api/list-links';
import { useResendInvitation } from '../api/resend-invitation';

function Invitation({ link }: { link: TrainerLink }) {
  const prefs = usePreferences();
  const resend = useResendInvitation();
  const revoke = useEndLink();
  const busy = resend.isPending || revoke.isPending;
  const expired = link.status === 'expired';

  return (
    <li className="link-item" data-status={link.status}>
      <p>
        <strong>{link.invitedEmail}</strong>{' '}
        <span className={`badge ${expired ? 'badge-warn' : 'badge-ok'}`}>
          {expired ? 'Expired' : 'Pending'}
        </span>
        <br />
        <span className="muted">
          Invited {formatDateTime(link.createdAt, prefs)}; {expired ? 'ran out' : 'runs out'}{' '}
          {formatDateTime(link.expiresAt, prefs)}.
        </span>
      </p>
      <div className="row">
        <Button variant="secondary" isDisabled={busy} onPress={() => resend.mutate(link)}>
          {resend.isPending ? 'Sending…' : 'Send again'}
          <span className="visually-hidden"> to {link.invitedEmail}</span>
        </Button>
        {expired ? null : (
          <Button variant="quiet" isDisabled={busy} onPress={() => revoke.mutate({ linkId: link.linkId })}>
            Withdraw<span className="visually-hidden"> the invitation to {link.invitedEmail}</span>
          </Button>
        )}
      </div>
      {resend.isError ? (
        <ProblemAlert error={resend.error} title="The invitation was not sent again" />
      ) : null}
      {revoke.isError ? <ProblemAlert error={revoke.error} title="The invitation was not withdrawn" /> : null}
    </li>
  );
}

/** Invitations still open or run out unanswered: send again (a fresh expiry) or withdraw. */
export function Invitations({ links }: { links: readonly TrainerLink[] }) {
  // An expired one the trainer has since sent again is history, not something to act on.
  const open = links.filter(
    (link, index) =>
      link.status === 'pending' ||
      (link.status === 'expired' &&
        !links.some((other, at) => at < index && other.invitedEmail === link.invitedEmail)),
  );
  if (open.length === 0)
    return (
      <EmptyState title="No open invitations">
        Invitations you send wait here until they are answered.
      </EmptyState>
    );
  return (
    <ul className="link-list" aria-label="Invitations">
      {open.map((link) => (
        <Invitation key={link.linkId} link={link} />
      ))}
    </ul>
  );
}
