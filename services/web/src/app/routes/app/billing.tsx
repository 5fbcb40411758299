import { useState } from 'react';
import { useSearchParams } from 'react-router';

import { AccountNav } from '../../../components/layouts/account-nav';
import { Page } from '../../../components/ui/page';
import { ProblemAlert } from '../../../components/ui/problem-alert';
import { Loading, Notice } from '../../../components/ui/status';
import { useSubscription } from '../../../features/billing/api/get-subscription';
import { PlanCard } from '../../../features/billing/components/plan-card';

/** How long to keep asking after Checkout: Stripe's webhook usually lands within seconds. */
const WAIT_FOR_WEBHOOK_MS = 60_000;

/** Plan and billing, and where Stripe Checkout and the Portal send people back (`/billing?checkout=…`). */
export function Component() {
  const [params] = useSearchParams();
  const outcome = params.get('checkout');
  const [returnedAt] = useState(() => Date.now());
  const subscription = useSubscription({
    // Back from a successful Checkout, the plan changes when Stripe's webhook arrives: poll until then.
    refetchInterval: (query) =>
      outcome === 'success' &&
      query.state.data?.plan === 'free' &&
      Date.now() - returnedAt < WAIT_FOR_WEBHOOK_MS
        ? 2000
        : false,
  });

  return (
    <Page title="Plan and billing">
      <AccountNav />
      {outcome === 'success' ? (
        subscription.data && subscription.data.plan !== 'free' ? (
          <Notice tone="success">Thank you. Your plan is active.</Notice>
        ) : (
          <Notice>Thank you. Your payment is being confirmed; your plan updates here in a moment.</Notice>
        )
      ) : null}
      {outcome === 'cancelled' ? <Notice>Checkout was cancelled. Nothing was charged.</Notice> : null}
      {subscription.isPending ? (
        <Loading minHeight="10rem" />
      ) : subscription.isError ? (
        <ProblemAlert error={subscription.error} />
      ) : (
        <PlanCard subscription={subscription.data} />
      )}
    </Page>
  );
}
