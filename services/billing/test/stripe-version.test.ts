import Stripe from 'stripe';

import { STRIPE_API_VERSION } from '../src/stripe';

describe("billing's Stripe API version", () => {
  test('is the version the installed SDK describes, which the signed test events carry', () => {
    expect(STRIPE_API_VERSION).toBe(Stripe.API_VERSION);
  });
});
