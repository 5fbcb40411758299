import { parseOrInvalid, PermissionDeniedError, unary } from '@tracking/kit';
import type {
  BillingServiceServer,
  CreateCheckoutSessionRequest,
  CreateCheckoutSessionResponse,
  CreatePortalSessionRequest,
  CreatePortalSessionResponse,
  GetSubscriptionRequest,
  GetSubscriptionResponse,
  GetUserSubscriptionRequest,
  GetUserSubscriptionResponse,
  Subscription,
} from '@tracking/proto/tracking/billing/v1/billing';
import { z } from 'zod';

import { openPortal, startCheckout } from './checkout';
import type { Deps } from './deps';
import { subscriptionOf, viewSubscriptionAsAdmin, type SubscriptionView } from './subscriptions';

const checkoutRequestSchema = z.object({ plan: z.enum(['pro', 'team']) });
const userRequestSchema = z.object({ userId: z.uuid() });

const subscriptionOut = (subscription: SubscriptionView): Subscription => ({
  ...subscription,
  currentPeriodEnd: subscription.currentPeriodEnd?.toISOString() ?? '',
  graceEndsAt: subscription.graceEndsAt?.toISOString() ?? '',
});

/** The gRPC transport: each call's principal is verified, its request parsed, and one domain call made. */
export function billingService(deps: Deps): BillingServiceServer {
  return {
    createCheckoutSession: unary<CreateCheckoutSessionRequest, CreateCheckoutSessionResponse>(
      'CreateCheckoutSession',
      deps,
      async (request, call) => {
        const principal = await deps.principals.verify(call.metadata);
        const { plan } = parseOrInvalid(checkoutRequestSchema, request);
        const { url, expiresAt } = await startCheckout(deps, principal, plan);
        return { url, expiresAt: expiresAt.toISOString() };
      },
    ),
    createPortalSession: unary<CreatePortalSessionRequest, CreatePortalSessionResponse>(
      'CreatePortalSession',
      deps,
      async (_request, call) => {
        const principal = await deps.principals.verify(call.metadata);
        return openPortal(deps, principal);
      },
    ),
    getSubscription: unary<GetSubscriptionRequest, GetSubscriptionResponse>(
      'GetSubscription',
      deps,
      async (_request, call) => {
        const principal = await deps.principals.verify(call.metadata);
        return {
          subscription: subscriptionOut(await subscriptionOf(deps.pool, principal.userId, new Date())),
        };
      },
    ),
    getUserSubscription: unary<GetUserSubscriptionRequest, GetUserSubscriptionResponse>(
      'GetUserSubscription',
      deps,
      async (request, call) => {
        const principal = await deps.principals.verify(call.metadata);
        if (principal.role !== 'admin') throw new PermissionDeniedError('for admins only');
        const { userId } = parseOrInvalid(userRequestSchema, request);
        return {
          subscription: subscriptionOut(
            await viewSubscriptionAsAdmin(deps.pool, principal, userId, new Date()),
          ),
        };
      },
    ),
  };
}
