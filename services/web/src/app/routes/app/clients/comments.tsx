import { useOutletContext } from 'react-router';

import type { ClientContext } from '../../../../features/trainer/components/client-frame';
import { ClientComments } from '../../../../features/trainer/components/client-comments';

/** Comments on the client's logs: write and read. */
export function Component() {
  const { clientId } = useOutletContext<ClientContext>();
  return <ClientComments clientId={clientId} />;
}
