import { AccountNav } from '../../../../components/layouts/account-nav';
import { Card, Page } from '../../../../components/ui/page';
import { UnitsForm } from '../../../../features/preferences/components/units-form';
import '../../../../features/metrics/components/metrics.css';

/** Energy unit, number format and time zone for this browser (features/preferences). */
export function Component() {
  return (
    <Page title="Units and time">
      <AccountNav />
      <Card title="Units and time">
        <UnitsForm />
      </Card>
    </Page>
  );
}
