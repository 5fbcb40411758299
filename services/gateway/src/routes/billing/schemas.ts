import { z } from 'zod';

export const PLAN = z.enum(['free', 'pro', 'team']);

export const subscriptionSchema = z
  .object({
    plan: PLAN.meta({ description: 'The plan in force now.' }),
    subscribedPlan: PLAN.meta({
      description: "The plan paid for; differs from plan once a failed payment's grace period is over.",
    }),
    status: z.string().meta({ description: "Stripe's subscription status, or none." }),
    currentPeriodEnd: z.iso.datetime().nullable(),
    cancelAtPeriodEnd: z.boolean(),
    graceEndsAt: z.iso
      .datetime()
      .nullable()
      .meta({ description: 'When a failed payment moves the account to the free plan.' }),
    notice: z.string().nullable().meta({
      description: 'Why access changed or is about to, in words for the person; null when all is well.',
    }),
    limits: z.object({
      clientsPerTrainer: z.int(),
      aiReviewsPerWeek: z.int(),
      aiEstimatesPerDay: z.int(),
    }),
  })
  .meta({ id: 'Subscription' });

export const hostedPage = (id: string, description: string) =>
  z.object({ url: z.url().meta({ description }) }).meta({ id });

export const checkoutRequest = z.strictObject({ plan: z.enum(['pro', 'team']) });
