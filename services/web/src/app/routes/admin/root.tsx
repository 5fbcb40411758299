import { Outlet } from 'react-router';

import { Page } from '../../../components/ui/page';
import { Loading } from '../../../components/ui/status';
import { useSession } from '../../../features/auth/api/get-session';

/**
 * The admin console's frame. AppRoot has already sent an admin without two-step sign-in to
 * enrol; this shows the console to admins only. The session is re-read after any 403, so an
 * admin whose role was taken away sees this page on their next action, not a stale console.
 */
export function Component() {
  const session = useSession();
  if (session.isPending) return <Loading label="Checking your session…" />;
  if (session.data?.role !== 'admin')
    return (
      <Page title="Page not found">
        <p>There is nothing at this address for your account.</p>
      </Page>
    );
  return <Outlet />;
}
