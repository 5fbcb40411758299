import { useOutletContext } from 'react-router';

import type { ClientContext } from '../../../../features/trainer/components/client-frame';
import { ClientReviews } from '../../../../features/trainer/components/client-reviews';

/** AI weekly reviews: the quota, a request, their status and text. */
export function Component() {
  const { clientId } = useOutletContext<ClientContext>();
  return <ClientReviews clientId={clientId} />;
}
