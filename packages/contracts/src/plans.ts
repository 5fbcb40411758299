/**
 * The plans, and what each grants: the one place they are defined. Billing sells them (prices
 * live in Stripe, their ids in billing's configuration), auth turns mandatory MFA on for the
 * paid ones, and tracking enforces the limits, reading the caller's plan from the principal.
 * docs/billing.md renders this table for people; a test keeps the two in step.
 */
export const PLANS = {
  free: { clientsPerTrainer: 3, aiReviewsPerWeek: 1, aiEstimatesPerDay: 20, paid: false },
  pro: { clientsPerTrainer: 15, aiReviewsPerWeek: 7, aiEstimatesPerDay: 200, paid: true },
  team: { clientsPerTrainer: 100, aiReviewsPerWeek: 7, aiEstimatesPerDay: 200, paid: true },
} as const;
export type Plan = keyof typeof PLANS;
export const PLAN_NAMES = ['free', 'pro', 'team'] as const satisfies readonly Plan[];

export function isPlan(value: string): value is Plan {
  return (PLAN_NAMES as readonly string[]).includes(value);
}

export type PlanLimit = 'clientsPerTrainer' | 'aiReviewsPerWeek' | 'aiEstimatesPerDay';

/** The cheapest plan that grants more of `limit` than `plan` does, if there is one. */
export function upgradeFor(plan: Plan, limit: PlanLimit): Plan | undefined {
  return PLAN_NAMES.find((name) => PLANS[name][limit] > PLANS[plan][limit]);
}
