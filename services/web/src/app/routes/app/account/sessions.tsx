import { AccountNav } from '../../../../components/layouts/account-nav';
import { Card, Page } from '../../../../components/ui/page';
import { SessionList } from '../../../../features/sessions/components/session-list';

export function Component() {
  return (
    <Page title="Sessions">
      <AccountNav />
      <Card title="Where you are signed in">
        <p className="muted">
          If you see a device you do not recognise, sign it out and change your password.
        </p>
        <SessionList />
      </Card>
    </Page>
  );
}
