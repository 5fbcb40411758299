import { Page } from '../../../components/ui/page';
import { Loading } from '../../../components/ui/status';
import { useSession } from '../../../features/auth/api/get-session';
import { AdminNav } from '../../../features/admin/components/admin-nav';
import { SupportAccess } from '../../../features/admin/components/support-access';

export function Component() {
  const session = useSession();
  return (
    <Page title="Support access" intro="Break-glass: read one client's logs for a short, audited time.">
      <AdminNav />
      {session.data ? <SupportAccess userId={session.data.userId} /> : <Loading />}
    </Page>
  );
}
