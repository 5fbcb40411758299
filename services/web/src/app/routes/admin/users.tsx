import { Card, Page } from '../../../components/ui/page';
import { AdminNav } from '../../../features/admin/components/admin-nav';
import { UserSearch } from '../../../features/admin/components/user-search';

export function Component() {
  return (
    <Page title="Users" intro="Find an account, change its role, disable it or sign it out everywhere.">
      <AdminNav />
      <Card title="Find a user">
        <UserSearch />
      </Card>
    </Page>
  );
}
