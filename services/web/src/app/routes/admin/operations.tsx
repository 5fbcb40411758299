import { Card, Page } from '../../../components/ui/page';
import { AdminNav } from '../../../features/admin/components/admin-nav';
import { BackupRuns } from '../../../features/admin/components/backup-runs';
import { SecurityEvents } from '../../../features/admin/components/security-events';

export function Component() {
  return (
    <Page title="Operations" intro="What needs an operator's eye.">
      <AdminNav />
      <Card title="Security events, last 24 hours">
        <SecurityEvents />
      </Card>
      <Card title="Backups and restore drills">
        <BackupRuns />
      </Card>
    </Page>
  );
}
