import { useParams } from 'react-router';

import { useSession } from '../../../../features/auth/api/get-session';
import { ClientFrame } from '../../../../features/trainer/components/client-frame';
import { ClientNotFound } from '../../../../features/trainer/components/client-not-found';
import '../../../../features/meals/components/meals.css';
import '../../../../features/metrics/components/metrics.css';
import '../../../../features/trainers/components/trainers.css';
import '../../../../features/trainer/components/trainer.css';

/** /clients/:clientId and its pages: only a client linked to this trainer, else not found. */
export function Component() {
  const session = useSession();
  const { clientId } = useParams();
  if (session.data?.role !== 'trainer') return <ClientNotFound />;
  return <ClientFrame clientIdParam={clientId} />;
}
