import { Link } from 'react-router';

import { ProblemAlert } from '../../../components/ui/problem-alert';
import { Loading } from '../../../components/ui/status';
import { useSubscription } from '../../billing/api/get-subscription';

const PLAN_NAME = { free: 'Free', pro: 'Pro', team: 'Team' } as const;

/**
 * The plan's client limit against what counts toward it (clients and open invitations), with the
 * way to a bigger plan once it is reached: the API then refuses new invitations (412).
 */
export function PlanUsage({ taken }: { taken: number }) {
  const subscription = useSubscription();
  if (subscription.isPending) return <Loading label="Loading your plan…" minHeight="3rem" />;
  if (subscription.isError)
    return <ProblemAlert error={subscription.error} title="We could not load your plan" />;

  const { plan, limits } = subscription.data;
  const limit = limits.clientsPerTrainer;
  if (limit < 0)
    return <p>{`${String(taken)} clients and open invitations (${PLAN_NAME[plan]} plan: no limit).`}</p>;
  const full = taken >= limit;
  return (
    <div className={full ? 'alert alert-warning' : 'plan-usage'} role={full ? 'status' : undefined}>
      <p>
        <strong className="num">{`${String(taken)} of ${String(limit)}`}</strong> clients and open invitations
        on the {PLAN_NAME[plan]} plan.
      </p>
      <meter
        className="plan-meter"
        min={0}
        max={limit}
        value={Math.min(taken, limit)}
        aria-label="Clients of the plan's limit"
      />
      {full ? (
        <p>
          You have reached your plan’s limit: ending a link or withdrawing an invitation makes room, or{' '}
          <Link to="/billing">choose a bigger plan</Link>.
        </p>
      ) : null}
    </div>
  );
}
