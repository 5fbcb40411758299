import {
  NOTIFICATION_REQUESTED,
  notificationRequest,
  TOPICS,
  type AuditEvent,
  type NotificationRequested,
  type PlanChanged,
} from '@tracking/contracts';
import {
  currentContext,
  enqueue,
  newEvent,
  pgExecutor,
  pgTransactionRunner,
  type Actor,
  type Principal,
} from '@tracking/kit';
import type pg from 'pg';

import { PLANS, type PaidPlan, type Plan } from './plans';

/** Stripe's subscription statuses, plus `none` for a user who never subscribed. */
export const STATUSES = [
  'none',
  'incomplete',
  'incomplete_expired',
  'trialing',
  'active',
  'past_due',
  'canceled',
  'unpaid',
  'paused',
] as const;
export type Status = (typeof STATUSES)[number];

export function isStatus(value: string): value is Status {
  return (STATUSES as readonly string[]).includes(value);
}

/**
 * Where a status sits in a subscription's life. Stripe's event times have one-second
 * resolution, and the events a checkout causes (created as incomplete, then active) often
 * share a second; between two events of the same second, the one further along wins.
 */
const LIFECYCLE: Record<Status, number> = {
  none: 0,
  incomplete: 1,
  trialing: 2,
  active: 2,
  past_due: 2,
  unpaid: 2,
  paused: 2,
  canceled: 3,
  incomplete_expired: 3,
};

const IN_ARREARS: ReadonlySet<Status> = new Set(['past_due', 'unpaid']);

/**
 * Statuses in which a user still has (or is paying for) a subscription: a second checkout would
 * double-bill, and events of any other subscription must not replace it.
 */
export const LIVE_STATUSES: ReadonlySet<string> = new Set([
  'trialing',
  'active',
  'past_due',
  'unpaid',
  'incomplete',
  'paused',
]);

export interface SubscriptionRow {
  user_id: string;
  stripe_subscription_id: string | null;
  stripe_price_id: string | null;
  payment_method_ref: string | null;
  subscribed_plan: Plan;
  plan: Plan;
  status: Status;
  current_period_end: Date | null;
  cancel_at_period_end: boolean;
  state_as_of: Date | null;
  payment_failed_at: Date | null;
  grace_ends_at: Date | null;
  invoice_state_as_of: Date | null;
}

/** What one Stripe object says about a subscription, in our terms. */
export interface SubscriptionState {
  subscriptionId: string;
  priceId: string | null;
  subscribedPlan: PaidPlan;
  status: Status;
  currentPeriodEnd: Date | null;
  cancelAtPeriodEnd: boolean;
  paymentMethodRef: string | null;
}

export interface BillingPolicy {
  graceDays: number;
  /** The web app's billing page, linked from every billing mail. */
  billingUrl: string;
}

/**
 * The plan in force: the paid plan while the subscription is active or trialing, and while a
 * failed payment's grace period lasts; free otherwise.
 */
export function effectivePlan(
  row: Pick<SubscriptionRow, 'status' | 'subscribed_plan' | 'grace_ends_at'>,
  now: Date,
): Plan {
  if (row.status === 'active' || row.status === 'trialing') return row.subscribed_plan;
  if (IN_ARREARS.has(row.status)) {
    return row.grace_ends_at === null || now < row.grace_ends_at ? row.subscribed_plan : 'free';
  }
  return 'free';
}

/** Whether an event about the subscription, from Stripe's time `asOf`, is newer than what the row holds. */
export function isNewer(
  row: Pick<SubscriptionRow, 'state_as_of' | 'status'>,
  asOf: Date,
  status: Status,
): boolean {
  if (row.state_as_of === null) return true;
  const difference = asOf.getTime() - row.state_as_of.getTime();
  if (difference !== 0) return difference > 0;
  return LIFECYCLE[status] >= LIFECYCLE[row.status];
}

/** What the user is told about their plan, or '' when there is nothing to say. */
export function noticeFor(row: SubscriptionRow, now: Date): string {
  const day = (date: Date) => date.toISOString().slice(0, 10);
  const name = row.subscribed_plan === 'team' ? 'Team' : 'Pro';
  if (IN_ARREARS.has(row.status) && row.grace_ends_at !== null) {
    return now < row.grace_ends_at
      ? `Your last payment failed. Update your payment method in the billing portal by ${day(row.grace_ends_at)} to keep ${name}; after that your account moves to the free plan.`
      : `Your ${name} features are paused because a payment failed on ${day(row.payment_failed_at ?? row.grace_ends_at)}. Update your payment method in the billing portal to restore them.`;
  }
  if (
    (row.status === 'active' || row.status === 'trialing') &&
    row.cancel_at_period_end &&
    row.current_period_end
  ) {
    return `Your ${name} plan is cancelled and ends on ${day(row.current_period_end)}.`;
  }
  if (row.status === 'canceled' && row.stripe_subscription_id !== null) {
    return `Your ${name} subscription has ended; you are on the free plan.`;
  }
  return '';
}

export function limitsOf(plan: Plan) {
  const { clientsPerTrainer, aiReviewsPerWeek, aiEstimatesPerDay } = PLANS[plan];
  return { clientsPerTrainer, aiReviewsPerWeek, aiEstimatesPerDay };
}

const COLUMNS = `user_id, stripe_subscription_id, stripe_price_id, payment_method_ref, subscribed_plan, plan,
  status, current_period_end, cancel_at_period_end, state_as_of, payment_failed_at, grace_ends_at, invoice_state_as_of`;

export async function readSubscription(db: pg.Pool | pg.PoolClient, userId: string) {
  const { rows } = await db.query<SubscriptionRow>(`SELECT ${COLUMNS} FROM subscription WHERE user_id = $1`, [
    userId,
  ]);
  return rows[0];
}

/** What a user is told about their subscription: the plan in force, its limits, and any notice. */
export interface SubscriptionView {
  plan: Plan;
  subscribedPlan: Plan;
  status: Status;
  currentPeriodEnd: Date | null;
  cancelAtPeriodEnd: boolean;
  graceEndsAt: Date | null;
  notice: string;
  limits: ReturnType<typeof limitsOf>;
}

export async function subscriptionOf(
  db: pg.Pool | pg.PoolClient,
  userId: string,
  now: Date,
): Promise<SubscriptionView> {
  const row = await readSubscription(db, userId);
  if (!row) {
    return {
      plan: 'free',
      subscribedPlan: 'free',
      status: 'none',
      currentPeriodEnd: null,
      cancelAtPeriodEnd: false,
      graceEndsAt: null,
      notice: '',
      limits: limitsOf('free'),
    };
  }
  // The plan in force now, even if the dunning sweep has not run since the grace ended.
  const plan = effectivePlan(row, now);
  return {
    plan,
    subscribedPlan: row.subscribed_plan,
    status: row.status,
    currentPeriodEnd: row.current_period_end,
    cancelAtPeriodEnd: row.cancel_at_period_end,
    graceEndsAt: row.grace_ends_at,
    notice: noticeFor(row, now),
    limits: limitsOf(plan),
  };
}

/**
 * Another user's subscription as an admin sees it (the caller has checked the role), with an
 * audit entry naming the admin in the same transaction: no admin reads a plan unrecorded.
 */
export async function viewSubscriptionAsAdmin(
  pool: pg.Pool,
  admin: Principal,
  userId: string,
  now: Date,
): Promise<SubscriptionView> {
  return pgTransactionRunner(pool)(async (_sql, client) => {
    const view = await subscriptionOf(client, userId, now);
    await audit(client, 'billing.subscription.viewed', userId, {
      actor: { service: 'billing', userId: admin.userId, role: admin.role },
    });
    return view;
  });
}

/** The user's subscription row, created (status none) if missing, locked for this transaction. */
async function lockRow(tx: pg.PoolClient, userId: string): Promise<SubscriptionRow> {
  await tx.query('INSERT INTO subscription (user_id) VALUES ($1) ON CONFLICT (user_id) DO NOTHING', [userId]);
  const { rows } = await tx.query<SubscriptionRow>(
    `SELECT ${COLUMNS} FROM subscription WHERE user_id = $1 FOR UPDATE`,
    [userId],
  );
  const row = rows[0];
  if (!row) throw new Error('subscription row vanished inside its transaction');
  return row;
}

async function save(tx: pg.PoolClient, row: SubscriptionRow): Promise<void> {
  await tx.query(
    `UPDATE subscription SET stripe_subscription_id = $2, stripe_price_id = $3, payment_method_ref = $4,
       subscribed_plan = $5, plan = $6, status = $7, current_period_end = $8, cancel_at_period_end = $9,
       state_as_of = $10, payment_failed_at = $11, grace_ends_at = $12, invoice_state_as_of = $13, updated_at = now()
     WHERE user_id = $1`,
    [
      row.user_id,
      row.stripe_subscription_id,
      row.stripe_price_id,
      row.payment_method_ref,
      row.subscribed_plan,
      row.plan,
      row.status,
      row.current_period_end,
      row.cancel_at_period_end,
      row.state_as_of,
      row.payment_failed_at,
      row.grace_ends_at,
      row.invoice_state_as_of,
    ],
  );
}

export const BILLING_ACTOR: Actor = { service: 'billing', userId: null, role: null };

/** An audit event for one billing state change, in the caller's transaction. */
export async function audit(
  tx: pg.PoolClient,
  action: string,
  userId: string,
  options: { actor?: Actor; outcome?: AuditEvent['outcome'] } = {},
): Promise<void> {
  const context = currentContext();
  const data: AuditEvent = {
    action,
    subject: { type: 'user', id: userId },
    outcome: options.outcome ?? 'success',
    sourceIp: context?.clientIp ?? null,
    userAgent: context?.userAgent ?? null,
  };
  await enqueue(pgExecutor(tx), [
    {
      topic: TOPICS.auditEvents,
      key: userId,
      envelope: newEvent({ type: 'audit.recorded', actor: options.actor ?? BILLING_ACTOR, data }),
    },
  ]);
}

type PlanChangeReason = NonNullable<PlanChanged['reason']>;

function reasonFor(before: SubscriptionRow, after: SubscriptionRow): PlanChangeReason {
  if (after.plan === 'free') return IN_ARREARS.has(after.status) ? 'payment_failed' : 'canceled';
  if (before.plan === 'free') {
    return before.subscribed_plan === after.subscribed_plan && IN_ARREARS.has(before.status)
      ? 'payment_recovered'
      : 'subscribed';
  }
  return 'changed';
}

/**
 * Recomputes the plan in force and, when it changed, announces it: billing.plan.changed on
 * billing.plan.v1 (auth switches mandatory MFA on or off with it) and an audit entry, both in
 * this transaction. Returns the new plan when it changed.
 */
async function settle(
  tx: pg.PoolClient,
  before: SubscriptionRow,
  after: SubscriptionRow,
  now: Date,
  billingUrl: string,
): Promise<PlanChange | undefined> {
  after.plan = effectivePlan(after, now);
  await save(tx, after);
  if (after.grace_ends_at !== null && before.grace_ends_at === null && after.plan !== 'free') {
    // A payment failed: the owner keeps the plan until the grace period ends, and is told when.
    await notify(
      tx,
      notificationRequest(
        'payment_failed',
        { userId: after.user_id },
        { plan: after.plan, graceUntil: after.grace_ends_at.toISOString(), billingUrl },
      ),
    );
  }
  if (after.plan === before.plan) return undefined;
  const change: PlanChanged = {
    userId: after.user_id,
    oldPlan: before.plan,
    newPlan: after.plan,
    effectiveAt: now.toISOString(),
    reason: reasonFor(before, after),
  };
  await enqueue(pgExecutor(tx), [
    {
      topic: TOPICS.billingPlan,
      key: after.user_id,
      envelope: newEvent({ type: 'billing.plan.changed', actor: BILLING_ACTOR, data: change }),
    },
  ]);
  await audit(tx, 'billing.plan.changed', after.user_id);
  const reason = change.reason ?? 'changed';
  await notify(
    tx,
    reason === 'payment_failed'
      ? // The grace period ran out: the downgrade the payment_failed mail warned of.
        notificationRequest(
          'plan_downgraded',
          { userId: after.user_id },
          { oldPlan: before.plan, billingUrl },
        )
      : notificationRequest(
          'plan_changed',
          { userId: after.user_id },
          { oldPlan: before.plan, newPlan: after.plan, reason, billingUrl },
        ),
  );
  return { plan: after.plan, reason };
}

/** Asks the notifications service to mail the subscriber, in the billing change's transaction. */
async function notify(tx: pg.PoolClient, request: NotificationRequested): Promise<void> {
  const key = 'userId' in request.recipient ? request.recipient.userId : undefined;
  await enqueue(pgExecutor(tx), [
    {
      topic: TOPICS.notificationsRequested,
      key,
      envelope: newEvent({ type: NOTIFICATION_REQUESTED, actor: BILLING_ACTOR, data: request }),
    },
  ]);
}

export interface PlanChange {
  plan: Plan;
  reason: PlanChangeReason;
}

export type ApplyOutcome =
  { applied: false; notCurrent?: boolean } | { applied: true; planChange: PlanChange | undefined };

/**
 * Applies what a subscription event (or a completed checkout) says, unless the row already
 * holds a newer state: Stripe delivers out of order and more than once. Fields the event does
 * not carry keep their values when it is about the same subscription.
 */
export async function applySubscriptionState(
  tx: pg.PoolClient,
  userId: string,
  state: SubscriptionState,
  asOf: Date,
  policy: BillingPolicy,
  now = new Date(),
): Promise<ApplyOutcome> {
  const before = await lockRow(tx, userId);
  const same = before.stripe_subscription_id === state.subscriptionId;
  if (!same && before.stripe_subscription_id !== null && LIVE_STATUSES.has(before.status)) {
    // A second subscription (two checkouts paid, #20) or a late event of a replaced one: it
    // does not change the plan; the audit entry and billing_subscription_not_current_total
    // tell an operator to look (and refund) at Stripe.
    await audit(tx, 'billing.subscription.not_current', userId, { outcome: 'failure' });
    return { applied: false, notCurrent: true };
  }
  if (!isNewer(before, asOf, state.status)) return { applied: false };
  const after: SubscriptionRow = {
    ...before,
    stripe_subscription_id: state.subscriptionId,
    stripe_price_id: state.priceId ?? (same ? before.stripe_price_id : null),
    payment_method_ref: state.paymentMethodRef ?? (same ? before.payment_method_ref : null),
    subscribed_plan: state.subscribedPlan,
    status: state.status,
    current_period_end: state.currentPeriodEnd ?? (same ? before.current_period_end : null),
    cancel_at_period_end: state.cancelAtPeriodEnd,
    state_as_of: asOf,
  };
  if (IN_ARREARS.has(state.status)) {
    if (after.payment_failed_at === null || !same) startGrace(after, asOf, policy);
  } else {
    clearGrace(after);
  }
  if (before.status !== after.status || !same) {
    await audit(tx, `billing.subscription.${after.status}`, userId);
  }
  return { applied: true, planChange: await settle(tx, before, after, now, policy.billingUrl) };
}

function startGrace(row: SubscriptionRow, failedAt: Date, policy: BillingPolicy): void {
  row.payment_failed_at = failedAt;
  row.grace_ends_at = new Date(failedAt.getTime() + policy.graceDays * 86_400_000);
}

function clearGrace(row: SubscriptionRow): void {
  row.payment_failed_at = null;
  row.grace_ends_at = null;
}

/**
 * A paid or failed invoice of the user's subscription. A failure starts the grace period (once:
 * later failures do not extend it); a payment ends it. Older invoice events than the newest
 * applied change nothing.
 */
export async function applyInvoice(
  tx: pg.PoolClient,
  userId: string,
  outcome: 'paid' | 'failed',
  asOf: Date,
  policy: BillingPolicy,
  now = new Date(),
): Promise<ApplyOutcome> {
  const before = await lockRow(tx, userId);
  if (before.invoice_state_as_of !== null && asOf <= before.invoice_state_as_of) return { applied: false };
  const after: SubscriptionRow = { ...before, invoice_state_as_of: asOf };
  if (outcome === 'failed') {
    if (after.payment_failed_at === null) startGrace(after, asOf, policy);
    // The subscription's own event (past_due) may come later or not at all before the grace ends.
    if (after.status === 'active' || after.status === 'trialing') {
      after.status = 'past_due';
      after.state_as_of = asOf > (after.state_as_of ?? asOf) ? asOf : after.state_as_of;
    }
  } else {
    clearGrace(after);
    if (IN_ARREARS.has(after.status)) {
      after.status = 'active';
      after.state_as_of = asOf > (after.state_as_of ?? asOf) ? asOf : after.state_as_of;
    }
  }
  await audit(tx, outcome === 'failed' ? 'billing.payment.failed' : 'billing.payment.succeeded', userId, {
    outcome: outcome === 'failed' ? 'failure' : 'success',
  });
  return { applied: true, planChange: await settle(tx, before, after, now, policy.billingUrl) };
}

/**
 * Dunning: the users whose grace period has ended while still in arrears drop to free. Locked
 * rows are skipped, so replicas running the sweep at once never handle a user twice.
 */
export async function sweepGracePeriods(
  pool: pg.Pool,
  now: Date,
  policy: Pick<BillingPolicy, 'billingUrl'>,
  limit = 100,
): Promise<{ userId: string; plan: Plan }[]> {
  return pgTransactionRunner(pool)(async (_sql, client) => {
    const { rows } = await client.query<SubscriptionRow>(
      `SELECT ${COLUMNS} FROM subscription
        WHERE grace_ends_at <= $1 AND plan <> 'free' AND status IN ('past_due', 'unpaid')
        ORDER BY grace_ends_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [now, limit],
    );
    const downgraded: { userId: string; plan: Plan }[] = [];
    for (const before of rows) {
      const change = await settle(client, before, { ...before }, now, policy.billingUrl);
      if (change !== undefined) downgraded.push({ userId: before.user_id, plan: change.plan });
    }
    return downgraded;
  });
}
