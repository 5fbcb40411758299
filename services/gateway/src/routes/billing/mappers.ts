import type { GetSubscriptionResponse } from '@tracking/proto/tracking/billing/v1/billing';
import type { z } from 'zod';

import { PLAN, type subscriptionSchema } from './schemas';

/** From billing's answer to the API's JSON; a plan the API does not name is a 500, logged. */
export function subscriptionOut(response: GetSubscriptionResponse): z.infer<typeof subscriptionSchema> {
  const subscription = response.subscription;
  if (!subscription) throw new Error('billing answered without a subscription');
  return {
    plan: PLAN.parse(subscription.plan),
    subscribedPlan: PLAN.parse(subscription.subscribedPlan),
    status: subscription.status,
    currentPeriodEnd: subscription.currentPeriodEnd || null,
    cancelAtPeriodEnd: subscription.cancelAtPeriodEnd,
    graceEndsAt: subscription.graceEndsAt || null,
    notice: subscription.notice || null,
    limits: {
      clientsPerTrainer: subscription.limits?.clientsPerTrainer ?? 0,
      aiReviewsPerWeek: subscription.limits?.aiReviewsPerWeek ?? 0,
      aiEstimatesPerDay: subscription.limits?.aiEstimatesPerDay ?? 0,
    },
  };
}
