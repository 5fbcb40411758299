import { Card, Page } from '../../../components/ui/page';
import { AdminNav } from '../../../features/admin/components/admin-nav';
import { AuditLog } from '../../../features/admin/components/audit-log';
import { ChainCheck } from '../../../features/admin/components/chain-check';

export function Component() {
  return (
    <Page title="Audit log" intro="Every state change on the platform: who, what, when and from where.">
      <AdminNav />
      <Card title="Search">
        <AuditLog />
      </Card>
      <Card title="Chain check">
        <ChainCheck />
      </Card>
    </Page>
  );
}
