import { callUnary } from '@tracking/kit';

import { defineRoute, json } from '../../http/route';
import { userParams } from '../auth/schemas';
import { principalFor } from '../principal';
import { subscriptionOut } from './mappers';
import { checkoutRequest, hostedPage, subscriptionSchema } from './schemas';

/**
 * Plans and payment. The gateway never sees a card: it hands out the addresses of Stripe's
 * hosted Checkout and Customer Portal pages, which billing creates (docs/billing.md).
 */
export const billingRoutes = [
  defineRoute({
    method: 'get',
    path: '/api/v1/me/subscription',
    operationId: 'getMySubscription',
    summary: 'My plan and subscription',
    tags: ['billing'],
    access: 'session',
    responses: { 200: json(subscriptionSchema, 'The plan in force, and the subscription behind it.') },
  }).handle(async ({ session, deps }) => {
    const metadata = await principalFor(deps, session, 'billing.manage', 'billing');
    const response = await callUnary(deps.billing.getSubscription.bind(deps.billing), {}, metadata);
    return { status: 200, body: subscriptionOut(response) };
  }),
  defineRoute({
    method: 'post',
    path: '/api/v1/me/subscription/checkout',
    operationId: 'startCheckout',
    summary: 'Start paying for a plan',
    description:
      "Answers with the address of Stripe's hosted Checkout page; the browser goes there, and the plan " +
      'changes once Stripe confirms the payment. Team is for trainers. Someone who already pays for a ' +
      'plan changes it in the billing portal instead (failed_precondition).',
    tags: ['billing'],
    access: 'session',
    body: checkoutRequest,
    responses: {
      201: json(hostedPage('CheckoutPage', "Stripe's hosted Checkout page."), 'Checkout started.'),
    },
    errors: ['failed_precondition', 'permission_denied', 'unavailable'],
  }).handle(async ({ body, session, deps }) => {
    const metadata = await principalFor(deps, session, 'billing.manage', 'billing');
    const page = await callUnary(
      deps.billing.createCheckoutSession.bind(deps.billing),
      { plan: body.plan },
      metadata,
    );
    return { status: 201, body: { url: canonicalUrl(page.url) } };
  }),
  defineRoute({
    method: 'post',
    path: '/api/v1/me/subscription/portal',
    operationId: 'openBillingPortal',
    summary: 'Manage or cancel my subscription',
    description:
      "Answers with the address of Stripe's Customer Portal, where the plan, the payment method and " +
      'cancellation are managed.',
    tags: ['billing'],
    access: 'session',
    responses: {
      201: json(
        hostedPage('BillingPortalPage', "Stripe's hosted Customer Portal page."),
        'Portal session opened.',
      ),
    },
    errors: ['failed_precondition', 'unavailable'],
  }).handle(async ({ session, deps }) => {
    const metadata = await principalFor(deps, session, 'billing.manage', 'billing');
    const page = await callUnary(deps.billing.createPortalSession.bind(deps.billing), {}, metadata);
    return { status: 201, body: { url: canonicalUrl(page.url) } };
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/admin/users/{userId}/subscription',
    operationId: 'getUserSubscription',
    summary: 'A user’s plan and subscription, for support',
    description:
      'As billing last heard from Stripe; the free plan (status none) for a user billing never heard of. ' +
      'Each read is audited (billing.subscription.viewed) with the admin as actor.',
    tags: ['admin'],
    access: 'session',
    params: userParams,
    responses: { 200: json(subscriptionSchema, 'The plan in force, and the subscription behind it.') },
  }).handle(async ({ params, session, deps }) => {
    const metadata = await principalFor(deps, session, 'billing.read', 'billing');
    const response = await callUnary(
      deps.billing.getUserSubscription.bind(deps.billing),
      { userId: params.userId },
      metadata,
    );
    return { status: 200, body: subscriptionOut(response) };
  }),
];

/**
 * Stripe's address as a URI (RFC 3986) that any client can parse: WHATWG parsing accepts
 * characters such as `{` that RFC 3986 does not, and percent-encodes them here. A schemathesis
 * run caught stripe-mock's `…/session/{SESSION_SECRET}` breaking the documented `format: uri`.
 */
function canonicalUrl(url: string): string {
  return new URL(url).href;
}
