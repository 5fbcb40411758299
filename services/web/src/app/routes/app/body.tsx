import { Card, Page } from '../../../components/ui/page';
import { MetricChart } from '../../../features/metrics/components/metric-chart';
import { MetricForm } from '../../../features/metrics/components/metric-form';
import '../../../features/meals/components/meals.css';
import '../../../features/metrics/components/metrics.css';

/** Weight and the other body and habit metrics: log them, and see them over 7, 30 or 90 days. */
export function Component() {
  return (
    <Page title="Body">
      <Card title="Log">
        <MetricForm />
      </Card>
      <Card title="Over time">
        <MetricChart />
      </Card>
    </Page>
  );
}
