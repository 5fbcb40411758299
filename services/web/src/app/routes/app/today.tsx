import { Page } from '../../../components/ui/page';

/** The client's day: meals, their estimates and the totals against goals (features/meals). */
export function Component() {
  return (
    <Page title="Today">
      <p className="muted">Your meals and totals for today appear here.</p>
    </Page>
  );
}
