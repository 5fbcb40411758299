import { PLANS, PLAN_NAMES, type Plan } from '@tracking/contracts';

import type { Config } from './config';

// The plans and their limits are the kit's (one table for billing, auth and tracking); billing
// adds who may buy which, and which Stripe price sells it.
export { PLANS, PLAN_NAMES, type Plan };
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
