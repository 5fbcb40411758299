import { useOutletContext } from 'react-router';

import type { ClientContext } from '../../../../features/trainer/components/client-frame';
import { ClientBody } from '../../../../features/trainer/components/client-body';

/** The client's body and habit metrics over time. */
export function Component() {
  const { clientId } = useOutletContext<ClientContext>();
  return <ClientBody clientId={clientId} />;
}
