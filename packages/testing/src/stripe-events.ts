import { randomBytes } from 'node:crypto';

import Stripe from 'stripe';

/**
 * The API version the installed SDK describes, which billing pins (its STRIPE_API_VERSION;
 * services/billing/test/stripe-version.test.ts holds the two equal).
 */
const STRIPE_API_VERSION = Stripe.API_VERSION;

/**
 * Stripe's side of the webhook tests: events in Stripe's envelope, around objects in their real
 * wire shape, signed the way Stripe signs them. Shared by billing's tests, the end-to-end test
 * in tests/e2e and the web app's journeys.
 */

export interface Delivery {
  status: number;
  body: Record<string, unknown>;
}

/** The official SDK pointed at a stripe-mock, for its fixtures and its test-signature helper. */
export function stripeClient(stripeMockUrl: string, key: string): Stripe {
  const url = new URL(stripeMockUrl);
  return new Stripe(key, {
    apiVersion: STRIPE_API_VERSION,
    host: url.hostname,
    port: url.port,
    protocol: 'http',
  });
}

/** Signs `event` as Stripe does (Stripe-Signature: t=...,v1=HMAC-SHA256) and POSTs it. */
export async function deliver(
  stripe: Stripe,
  url: string,
  event: object,
  options: { secret: string; timestamp?: number; tamper?: (body: Buffer) => Buffer },
): Promise<Delivery> {
  const payload = JSON.stringify(event, null, 2);
  const header = stripe.webhooks.generateTestHeaderString({
    payload,
    secret: options.secret,
    timestamp: options.timestamp ?? Math.floor(Date.now() / 1000),
  });
  const raw = Buffer.from(payload);
  const body = options.tamper ? options.tamper(raw) : raw;
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': header },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

let sequence = 0;
/** A Stripe-shaped id: the prefix and 24 letters (no digit runs, as Stripe's own). */
export function stripeId(prefix: string): string {
  sequence += 1;
  const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
  let tail = '';
  for (const byte of randomBytes(20)) tail += letters[byte % letters.length] ?? 'x';
  return `${prefix}_${tail}${String(sequence % 10)}`;
}

/** An event envelope exactly as Stripe sends it, around `object`. */
export function stripeEvent(type: string, object: object, created: number, id = stripeId('evt')): object {
  return {
    id,
    object: 'event',
    api_version: STRIPE_API_VERSION,
    created,
    data: { object },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
  };
}

/**
 * Stripe objects in their real wire shape: fetched from stripe-mock (which serves Stripe's
 * fixtures for the pinned API version) and given the fields the test is about.
 */
export async function subscriptionObject(
  stripe: Stripe,
  fields: {
    id: string;
    customer: string;
    price: string;
    status: Stripe.Subscription.Status;
    created: number;
    currentPeriodEnd?: number;
    cancelAtPeriodEnd?: boolean;
    metadata?: Record<string, string>;
  },
): Promise<Stripe.Subscription> {
  const fixture = await stripe.subscriptions.retrieve(fields.id);
  const item = fixture.items.data[0];
  if (!item) throw new Error('stripe-mock subscription fixture has no item');
  return {
    ...fixture,
    id: fields.id,
    customer: fields.customer,
    status: fields.status,
    created: fields.created,
    cancel_at_period_end: fields.cancelAtPeriodEnd ?? false,
    default_payment_method: stripeId('pm'),
    metadata: fields.metadata ?? {},
    items: {
      ...fixture.items,
      data: [
        {
          ...item,
          current_period_end: fields.currentPeriodEnd ?? fields.created + 30 * 86_400,
          price: { ...item.price, id: fields.price },
        },
      ],
    },
  };
}

export async function checkoutSessionObject(
  stripe: Stripe,
  fields: {
    customer: string;
    subscription: string;
    userId: string;
    plan: string;
    correlationId?: string;
    paymentStatus?: Stripe.Checkout.Session.PaymentStatus;
  },
): Promise<Stripe.Checkout.Session> {
  const fixture = await stripe.checkout.sessions.retrieve(stripeId('cs'));
  return {
    ...fixture,
    mode: 'subscription',
    status: 'complete',
    payment_status: fields.paymentStatus ?? 'paid',
    customer: fields.customer,
    subscription: fields.subscription,
    client_reference_id: fields.userId,
    metadata: { user_id: fields.userId, plan: fields.plan, correlation_id: fields.correlationId ?? '' },
  };
}

export async function invoiceObject(
  stripe: Stripe,
  fields: { customer: string; subscription: string; paid: boolean },
): Promise<Stripe.Invoice> {
  const fixture = await stripe.invoices.retrieve(stripeId('in'));
  return {
    ...fixture,
    customer: fields.customer,
    status: fields.paid ? 'paid' : 'open',
    parent: {
      type: 'subscription_details',
      quote_details: null,
      subscription_details: { subscription: fields.subscription, metadata: {} },
    },
  };
}
