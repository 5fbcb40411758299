import { Card, Page } from '../../../components/ui/page';
import { AdminNav } from '../../../features/admin/components/admin-nav';
import { PrivacyRequests } from '../../../features/admin/components/privacy-requests';
import { PrivacyStart } from '../../../features/admin/components/privacy-start';
import '../../../features/admin/components/privacy.css';

export function Component() {
  return (
    <Page
      title="Privacy requests"
      intro="Data exports and account deletions, against the one-month deadline; and the same for a user who asked by mail."
    >
      <AdminNav />
      <Card title="Requests">
        <PrivacyRequests />
      </Card>
      <Card title="Start one for a user">
        <PrivacyStart />
      </Card>
    </Page>
  );
}
