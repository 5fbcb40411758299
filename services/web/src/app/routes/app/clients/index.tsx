import { Navigate } from 'react-router';

import { Page } from '../../../../components/ui/page';
import { useSession } from '../../../../features/auth/api/get-session';
import { ClientsScreen } from '../../../../features/trainer/components/clients-screen';
import '../../../../features/trainers/components/trainers.css';
import '../../../../features/trainer/components/trainer.css';
import '../../../../features/metrics/components/metrics.css';

/** The trainer console's start page: clients at a glance, the plan's limit, invitations. */
export function Component() {
  const session = useSession();
  if (session.data?.role !== 'trainer') return <Navigate to="/" replace />;
  return (
    <Page title="Clients">
      <ClientsScreen />
    </Page>
  );
}
