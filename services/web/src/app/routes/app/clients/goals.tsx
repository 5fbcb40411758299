import { useOutletContext } from 'react-router';

import type { ClientContext } from '../../../../features/trainer/components/client-frame';
import { ClientGoals } from '../../../../features/trainer/components/client-goals';

/** The client's daily goals: view and set. */
export function Component() {
  const { clientId } = useOutletContext<ClientContext>();
  return <ClientGoals clientId={clientId} />;
}
