import { Button } from '../../../components/ui/button';
import { Card } from '../../../components/ui/page';
import { ProblemAlert } from '../../../components/ui/problem-alert';
import { Notice } from '../../../components/ui/status';
import { formatDate } from '../../../lib/dates';
import type { Subscription } from '../api/get-subscription';
import { useOpenBillingPortal } from '../api/open-billing-portal';
import { useStartCheckout, type StartCheckoutInput } from '../api/start-checkout';

const PLAN_NAME = { free: 'Free', pro: 'Pro', team: 'Team' } as const;
const PLAN_PITCH: Record<StartCheckoutInput['plan'], string> = {
  pro: 'More AI estimates and a weekly AI review, for one trainer and their clients.',
  team: 'For coaching businesses with many clients per trainer.',
};

/** Stripe's hosted pages are on Stripe's origin: leaving the app is a full navigation. */
function go(url: string): void {
  window.location.assign(url);
}

function limit(value: number, unit: string): string {
  return value < 0 ? `Unlimited ${unit}` : `${value.toLocaleString()} ${unit}`;
}

export function PlanCard({ subscription }: { subscription: Subscription }) {
  const checkout = useStartCheckout();
  const portal = useOpenBillingPortal();
  const paid = subscription.subscribedPlan !== 'free';

  return (
    <>
      <Card title="Your plan">
        <p className="plan-name" data-testid="current-plan">
          {PLAN_NAME[subscription.plan]}
        </p>
        {subscription.notice ? <Notice tone="warning">{subscription.notice}</Notice> : null}
        <dl className="facts">
          <dt>AI meal estimates</dt>
          <dd className="num">{limit(subscription.limits.aiEstimatesPerDay, 'a day')}</dd>
          <dt>AI reviews</dt>
          <dd className="num">{limit(subscription.limits.aiReviewsPerWeek, 'a week')}</dd>
          <dt>Clients per trainer</dt>
          <dd className="num">{limit(subscription.limits.clientsPerTrainer, '')}</dd>
          {subscription.currentPeriodEnd ? (
            <>
              <dt>{subscription.cancelAtPeriodEnd ? 'Ends on' : 'Renews on'}</dt>
              <dd>{formatDate(subscription.currentPeriodEnd)}</dd>
            </>
          ) : null}
        </dl>
        {paid ? (
          <div className="stack">
            {portal.isError ? <ProblemAlert error={portal.error} /> : null}
            <div>
              <Button
                variant="secondary"
                isDisabled={portal.isPending}
                onPress={() => portal.mutate(undefined, { onSuccess: ({ url }) => go(url) })}
              >
                Manage billing
              </Button>
            </div>
            <p className="muted">Change your card, see invoices or cancel, on Stripe's secure page.</p>
          </div>
        ) : null}
      </Card>
      {paid ? null : (
        <Card title="Upgrade">
          {checkout.isError ? <ProblemAlert error={checkout.error} /> : null}
          <ul className="plans">
            {(['pro', 'team'] as const).map((plan) => (
              <li key={plan} className="plan">
                <h3>{PLAN_NAME[plan]}</h3>
                <p>{PLAN_PITCH[plan]}</p>
                <Button
                  isDisabled={checkout.isPending}
                  onPress={() => checkout.mutate({ plan }, { onSuccess: ({ url }) => go(url) })}
                >
                  Upgrade to {PLAN_NAME[plan]}
                </Button>
              </li>
            ))}
          </ul>
          <p className="muted">
            Payment is on Stripe's secure page; we never see your card. Paid plans require two-step sign-in.
          </p>
        </Card>
      )}
    </>
  );
}
