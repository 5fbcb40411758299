import { useState } from 'react';

import { Button } from '../../../components/ui/button';
import { Loading } from '../../../components/ui/status';
import { formatDate } from '../../../lib/dates';
import { useUserSubscription } from '../api/get-user-subscription';
import { AdminProblem } from './admin-problem';

/**
 * The plan and Stripe subscription of the person a ticket names, read from billing when the
 * admin asks: each read is in the audit log, so it is never made just because a search found them.
 */
export function UserSubscription({ userId }: { userId: string }) {
  const [asked, setAsked] = useState(false);
  const subscription = useUserSubscription(userId, asked);
  if (!asked)
    return (
      <Button variant="quiet" onPress={() => setAsked(true)}>
        Show subscription
      </Button>
    );
  if (subscription.isPending) return <Loading label="Reading the subscription…" />;
  if (subscription.isError)
    return <AdminProblem error={subscription.error} title="The subscription could not be read" />;
  const data = subscription.data;
  return (
    <section aria-label="Subscription">
      <h3>Subscription</h3>
      <dl className="facts">
        <dt>Plan in force</dt>
        <dd>{data.plan}</dd>
        <dt>Paid for</dt>
        <dd>{data.subscribedPlan}</dd>
        <dt>Stripe status</dt>
        <dd>{data.status === 'none' ? 'no subscription' : data.status}</dd>
        {data.currentPeriodEnd ? (
          <>
            <dt>{data.cancelAtPeriodEnd ? 'Ends on' : 'Renews on'}</dt>
            <dd>{formatDate(data.currentPeriodEnd)}</dd>
          </>
        ) : null}
        {data.graceEndsAt ? (
          <>
            <dt>Free plan from</dt>
            <dd>{formatDate(data.graceEndsAt)}</dd>
          </>
        ) : null}
        {data.notice ? (
          <>
            <dt>What they are told</dt>
            <dd>{data.notice}</dd>
          </>
        ) : null}
      </dl>
      <p className="muted">This read is in the audit log.</p>
    </section>
  );
}
