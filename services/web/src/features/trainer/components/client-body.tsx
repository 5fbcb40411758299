import { Card } from '../../../components/ui/page';
import { MetricChart } from '../../metrics/components/metric-chart';
import { clientMetricSource } from '../api/client-metrics';

/** A client's weight, sleep, steps, water and mood over 7, 30 or 90 days, read-only. */
export function ClientBody({ clientId }: { clientId: string }) {
  return (
    <Card title="Body and habits">
      <MetricChart
        entries={clientMetricSource(clientId)}
        emptyHint="Entries the client logs on their Body page show up here."
      />
    </Card>
  );
}
