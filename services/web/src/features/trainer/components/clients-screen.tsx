import { Card } from '../../../components/ui/page';
import { ProblemAlert } from '../../../components/ui/problem-alert';
import { Loading } from '../../../components/ui/status';
import { useForgetGoneClients } from '../api/client-access';
import { activeClients, countsTowardLimit, useLinks } from '../api/list-links';
import { ClientsOverview } from './clients-overview';
import { InviteForm } from './invite-form';
import { Invitations } from './invitations';
import { PlanUsage } from './plan-usage';

/** The trainer's start page: every client's week at a glance, the plan's limit, invitations. */
export function ClientsScreen() {
  const links = useLinks();
  useForgetGoneClients();
  if (links.isPending) return <Loading label="Loading your clients…" minHeight="12rem" />;
  if (links.isError) return <ProblemAlert error={links.error} title="We could not load your clients" />;
  const items = links.data.items;
  return (
    <>
      <Card title="Your clients">
        <ClientsOverview clients={activeClients(items)} />
      </Card>
      <Card title="Invite a client">
        <PlanUsage taken={countsTowardLimit(items)} />
        <InviteForm />
      </Card>
      <Card title="Invitations">
        <Invitations links={items} />
      </Card>
    </>
  );
}
