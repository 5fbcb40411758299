import { Page } from '../../../components/ui/page';
import { AdminNav } from '../../../features/admin/components/admin-nav';
import { SupportAccess } from '../../../features/admin/components/support-access';

export function Component() {
  return (
    <Page title="Support access" intro="Break-glass: read one client's logs for a short, audited time.">
      <AdminNav />
      <SupportAccess />
    </Page>
  );
}
