import { Link } from 'react-router';

import { Page } from '../../../components/ui/page';

/**
 * One page for every client address the trainer may not open: a client linked to another
 * trainer, a link that has ended, an id that exists nowhere, a malformed one. The same title
 * and words for all, and nothing about the client, so the page tells nobody which it was.
 */
export function ClientNotFound() {
  return (
    <Page title="Client not found">
      <p>
        There is no client of yours at this address. If you were coaching them, the link has ended: they ended
        it, or you did.
      </p>
      <p>
        <Link to="/clients">Go to your clients</Link>
      </p>
    </Page>
  );
}
