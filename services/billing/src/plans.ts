import type { Config } from './config';

/**
 * The plans, and what each grants: the one place they are defined. docs/billing.md renders
 * this table for people; a test keeps the two in step. Prices live in Stripe and their ids in
 * configuration (STRIPE_PRICE_PRO, STRIPE_PRICE_TEAM), never here.
 */
export const PLANS = {
  free: { clientsPerTrainer: 3, aiReviewsPerWeek: 1, aiEstimatesPerDay: 20, paid: false },
  pro: { clientsPerTrainer: 15, aiReviewsPerWeek: 7, aiEstimatesPerDay: 200, paid: true },
  team: { clientsPerTrainer: 100, aiReviewsPerWeek: 7, aiEstimatesPerDay: 200, paid: true },
} as const;
export type Plan = keyof typeof PLANS;
export const PLAN_NAMES = Object.keys(PLANS) as Plan[];
export type PaidPlan = Exclude<Plan, 'free'>;

/** Who may buy which paid plan: team is for trainers with many clients. */
export const BUYERS: Record<PaidPlan, readonly string[]> = {
  pro: ['client', 'trainer'],
  team: ['trainer'],
};

export function isPaidPlan(value: string): value is PaidPlan {
  return value === 'pro' || value === 'team';
}

export interface PriceBook {
  priceOf(plan: PaidPlan): string;
  /** The plan a Stripe price id sells, or undefined for a price this deployment does not know. */
  planOf(priceId: string): PaidPlan | undefined;
}

export function priceBook(config: Pick<Config, 'STRIPE_PRICE_PRO' | 'STRIPE_PRICE_TEAM'>): PriceBook {
  const prices: Record<PaidPlan, string> = { pro: config.STRIPE_PRICE_PRO, team: config.STRIPE_PRICE_TEAM };
  return {
    priceOf: (plan) => prices[plan],
    planOf: (priceId) => (Object.keys(prices) as PaidPlan[]).find((plan) => prices[plan] === priceId),
  };
}
