import { useOutletContext } from 'react-router';

import type { ClientContext } from '../../../../features/trainer/components/client-frame';
import { ClientMeals } from '../../../../features/trainer/components/client-meals';

/** The client's daily energy over 7, 30 or 90 days and their meals by day. */
export function Component() {
  const { clientId } = useOutletContext<ClientContext>();
  return <ClientMeals clientId={clientId} />;
}
