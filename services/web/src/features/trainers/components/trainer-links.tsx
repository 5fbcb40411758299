import { useState } from 'react';
import { useSearchParams } from 'react-router';

import { Button } from '../../../components/ui/button';
import { Card } from '../../../components/ui/page';
import { ProblemAlert } from '../../../components/ui/problem-alert';
import { EmptyState, Loading, Notice } from '../../../components/ui/status';
import { formatDateTime } from '../../preferences/format';
import { usePreferences } from '../../preferences/preferences';
import { useAcceptTrainerLink } from '../api/accept-trainer-link';
import { useEndTrainerLink } from '../api/end-trainer-link';
import { useTrainerLinks, type TrainerLink } from '../api/list-trainer-links';

const STATUS: Record<TrainerLink['status'], string> = {
  pending: 'Invitation waiting for you',
  active: 'Your trainer',
  ended: 'Ended',
  declined: 'Declined',
  expired: 'Expired',
};

function LinkItem({ link, opened = false }: { link: TrainerLink; opened?: boolean }) {
  const prefs = usePreferences();
  const accept = useAcceptTrainerLink();
  const end = useEndTrainerLink();
  const [confirming, setConfirming] = useState(false);
  const busy = accept.isPending || end.isPending;

  return (
    <li className="link-item" data-status={link.status} data-opened={opened || undefined}>
      <p>
        <strong>{STATUS[link.status]}</strong>
        <br />
        <span className="muted">
          Trainer <code className="mono">{link.trainerId.slice(0, 8)}</code>, invited {link.invitedEmail} on{' '}
          {formatDateTime(link.createdAt, prefs)}
          {link.status === 'pending'
            ? `; the invitation runs out ${formatDateTime(link.expiresAt, prefs)}`
            : ''}
          {link.acceptedAt ? `; linked since ${formatDateTime(link.acceptedAt, prefs)}` : ''}
          {link.endedAt ? `; ended ${formatDateTime(link.endedAt, prefs)}` : ''}.
        </span>
      </p>
      {link.status === 'pending' ? (
        <div className="row">
          <Button isDisabled={busy} onPress={() => accept.mutate({ linkId: link.linkId })}>
            Accept
          </Button>
          <Button variant="secondary" isDisabled={busy} onPress={() => end.mutate({ linkId: link.linkId })}>
            Decline
          </Button>
        </div>
      ) : null}
      {link.status === 'active' && !confirming ? (
        <Button variant="secondary" isDisabled={busy} onPress={() => setConfirming(true)}>
          End this link
        </Button>
      ) : null}
      {link.status === 'active' && confirming ? (
        <div className="alert alert-warning" role="alertdialog" aria-label="End the link with your trainer?">
          <p>Your trainer loses access to your logs at once. They can invite you again later.</p>
          <div className="row">
            <Button
              variant="danger"
              isDisabled={busy}
              onPress={() => end.mutate({ linkId: link.linkId }, { onSuccess: () => setConfirming(false) })}
            >
              End link
            </Button>
            <Button variant="secondary" onPress={() => setConfirming(false)}>
              Keep it
            </Button>
          </div>
        </div>
      ) : null}
      {accept.isError ? <ProblemAlert error={accept.error} title="Not accepted" /> : null}
      {end.isError ? <ProblemAlert error={end.error} /> : null}
    </li>
  );
}

/** The invitation a mailed link opened: `/trainers?invitation=<link id>`. */
const openedId = (params: URLSearchParams) => params.get('invitation') ?? undefined;

/**
 * Says what became of the invitation a mailed link opened. The invitation shows up only for the
 * account that has verified the invited address, so a link opened while signed in to another
 * account, or before the address is verified, explains that instead of showing nothing.
 */
function OpenedInvitation({ links }: { links: TrainerLink[] }) {
  const [params] = useSearchParams();
  const id = openedId(params);
  if (!id) return null;
  const link = links.find((one) => one.linkId === id);
  if (!link) {
    return (
      <Notice tone="warning">
        The invitation you opened is not for this account. It shows up once you are signed in with the invited
        email address and have confirmed it. New here? Sign out and create an account with that address.
      </Notice>
    );
  }
  if (link.status === 'pending') {
    return (
      <Notice tone="info">Your invitation is below: accept it to share your log with this trainer.</Notice>
    );
  }
  if (link.status === 'active') return <Notice tone="success">You accepted this invitation.</Notice>;
  return (
    <Notice tone="warning">This invitation is no longer open ({STATUS[link.status].toLowerCase()}).</Notice>
  );
}

export function TrainerLinks() {
  const [params] = useSearchParams();
  const links = useTrainerLinks();
  if (links.isPending) return <Loading label="Loading your trainers…" minHeight="6rem" />;
  if (links.isError) return <ProblemAlert error={links.error} title="We could not load your trainers" />;
  const current = links.data.items.filter((link) => link.status === 'pending' || link.status === 'active');
  const past = links.data.items.filter((link) => link.status !== 'pending' && link.status !== 'active');
  return (
    <div className="stack">
      <OpenedInvitation links={links.data.items} />
      <Card title="Invitations and your trainer">
        {current.length === 0 ? (
          <EmptyState title="No trainer yet">
            When a trainer invites your email address, the invitation shows up here for you to accept or
            decline.
          </EmptyState>
        ) : (
          <ul className="link-list">
            {current.map((link) => (
              <LinkItem key={link.linkId} link={link} opened={link.linkId === openedId(params)} />
            ))}
          </ul>
        )}
      </Card>
      {past.length > 0 ? (
        <Card title="Earlier">
          <ul className="link-list">
            {past.map((link) => (
              <LinkItem key={link.linkId} link={link} />
            ))}
          </ul>
        </Card>
      ) : null}
    </div>
  );
}

/** What a linked trainer can and cannot see, as docs/tracking.md and the database's policies make it. */
export function TrainerAccess() {
  return (
    <Card title="What a linked trainer can see">
      <p>While you are linked, and only then, your trainer can:</p>
      <ul>
        <li>read your meals with their estimates, and your body metrics and notes;</li>
        <li>see and set your daily goals;</li>
        <li>comment on your log and ask for weekly reviews;</li>
        <li>ask again for an estimate that failed.</li>
      </ul>
      <p>
        They cannot change or delete what you log, and never see your password, sessions, security settings or
        billing. You can have one trainer at a time. When you end the link, their access stops at once.
      </p>
    </Card>
  );
}
