import { useEffect, useState } from 'react';
import { NavLink, Outlet, useLocation, useNavigate } from 'react-router';

import { Button } from '../../../components/ui/button';
import { Page } from '../../../components/ui/page';
import { ProblemAlert } from '../../../components/ui/problem-alert';
import { Loading } from '../../../components/ui/status';
import { formatDateTime } from '../../preferences/format';
import { usePreferences } from '../../preferences/preferences';
import { parseClientId, useForgetGoneClients } from '../api/client-access';
import { useEndLink } from '../api/end-link';
import { activeClients, useLinks, type TrainerLink } from '../api/list-links';
import { ClientNotFound } from './client-not-found';

const TABS = [
  { to: '', label: 'Meals' },
  { to: 'body', label: 'Body' },
  { to: 'goals', label: 'Goals' },
  { to: 'comments', label: 'Comments' },
  { to: 'reviews', label: 'Weekly reviews' },
] as const;

/** The client a page is about, for the pages under the frame (React Router's outlet context). */
export interface ClientContext {
  clientId: string;
  link: TrainerLink & { clientId: string };
}

function EndLink({ link }: { link: ClientContext['link'] }) {
  const end = useEndLink();
  const navigate = useNavigate();
  const [confirming, setConfirming] = useState(false);
  if (!confirming)
    return (
      <Button variant="secondary" onPress={() => setConfirming(true)}>
        End the link
      </Button>
    );
  return (
    <div className="alert alert-warning" role="alertdialog" aria-label="End the link with this client?">
      <p>You lose access to {link.invitedEmail}’s logs at once. You can invite them again later.</p>
      <div className="row">
        <Button
          variant="danger"
          isDisabled={end.isPending}
          onPress={() =>
            end.mutate(
              { linkId: link.linkId },
              { onSuccess: () => void navigate('/clients', { replace: true }) },
            )
          }
        >
          End link
        </Button>
        <Button variant="secondary" onPress={() => setConfirming(false)}>
          Keep it
        </Button>
      </div>
      {end.isError ? <ProblemAlert error={end.error} title="The link was not ended" /> : null}
    </div>
  );
}

/**
 * Every page about one client sits in this frame, which first reads the trainer's own links:
 * unless one is active for this client, it shows the not-found page and asks the API nothing
 * about the client at all. A link that ends while the pages are open is found out on the next
 * request about the client (a 404), which drops all of their data (useForgetGoneClients).
 */
export function ClientFrame({ clientIdParam }: { clientIdParam: string | undefined }) {
  const prefs = usePreferences();
  const links = useLinks();
  useForgetGoneClients();
  const clientId = parseClientId(clientIdParam);
  const { pathname } = useLocation();
  const { refetch } = links;
  // Every move between this client's pages reads the links again before it shows anything: a
  // link ended since the last page is found out here, not after a screen of cached data.
  const [checked, setChecked] = useState<string>();
  useEffect(() => {
    let current = true;
    void refetch().then(() => {
      if (current) setChecked(pathname);
    });
    return () => {
      current = false;
    };
  }, [pathname, refetch]);

  if (links.isPending || checked !== pathname) return <Loading label="Loading…" minHeight="12rem" />;
  if (links.isError) return <ProblemAlert error={links.error} title="We could not load your clients" />;
  const link = activeClients(links.data.items).find((candidate) => candidate.clientId === clientId);
  if (!clientId || !link) return <ClientNotFound />;

  const context: ClientContext = { clientId, link };
  return (
    <Page
      title={link.invitedEmail}
      intro={link.acceptedAt ? `Your client since ${formatDateTime(link.acceptedAt, prefs)}.` : undefined}
    >
      <div className="client-header">
        <nav aria-label="Client" className="subnav">
          <ul>
            {TABS.map((tab) => (
              <li key={tab.label}>
                <NavLink to={tab.to ? `/clients/${clientId}/${tab.to}` : `/clients/${clientId}`} end>
                  {tab.label}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <EndLink link={link} />
      </div>
      <Outlet context={context} />
    </Page>
  );
}
