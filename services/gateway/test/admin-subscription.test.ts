import { createClient, createMetrics, PRINCIPAL_HEADER, unary } from '@tracking/kit';
import {
  BillingServiceClient,
  BillingServiceService,
  type BillingServiceServer,
  type GetUserSubscriptionRequest,
  type GetUserSubscriptionResponse,
} from '@tracking/proto/tracking/billing/v1/billing';
import { captureLogger } from '@tracking/testing';

import { viaIngress } from './edge-support';
import { standIn, startStandInGateway, type StandInGateway } from './offline-services';

// GET /admin/users/{userId}/subscription in process (#23), against a stand-in auth that answers
// Authorize and a stand-in billing that answers GetUserSubscription: the permission the gateway
// asks for, what it forwards with a signed principal, what the console receives, and refusals.
describe('a user’s subscription for an admin through the gateway', () => {
  const { log } = captureLogger('gateway');
  const metrics = createMetrics();
  const principals: string[] = [];
  const forwarded: GetUserSubscriptionRequest[] = [];
  const getUserSubscription = unary<GetUserSubscriptionRequest, GetUserSubscriptionResponse>(
    't/GetUserSubscription',
    { log, metrics },
    (request, call) => {
      forwarded.push(request);
      principals.push(String(call.metadata.get(PRINCIPAL_HEADER)[0] ?? ''));
      return Promise.resolve({
        subscription: {
          plan: 'pro',
          subscribedPlan: 'pro',
          status: 'past_due',
          currentPeriodEnd: '2026-12-31T00:00:00.000Z',
          cancelAtPeriodEnd: false,
          graceEndsAt: '2026-12-10T00:00:00.000Z',
          notice: 'The last payment failed.',
          limits: { clientsPerTrainer: 0, aiReviewsPerWeek: 7, aiEstimatesPerDay: 50 },
        },
      });
    },
  );

  let gateway: StandInGateway | undefined;
  const asked = () => gateway?.asked ?? [];

  beforeAll(async () => {
    gateway = await startStandInGateway({
      log,
      metrics,
      services: [
        [BillingServiceService, standIn<BillingServiceServer>({ getUserSubscription }, { log, metrics })],
      ],
      clients: (address) => ({ billing: createClient(BillingServiceClient, address, { tls: {} }) }),
    });
  });

  afterAll(async () => {
    await gateway?.stop();
  });

  beforeEach(() => {
    asked().length = 0;
    principals.length = 0;
    forwarded.length = 0;
  });

  const userId = '0b7c3a52-0f0e-4c56-9a57-4d7c0f6f1a11';
  const read = async (token: string, id = userId) => {
    const response = await fetch(`${gateway?.url ?? ''}/api/v1/admin/users/${id}/subscription`, {
      headers: { authorization: `Bearer ${token}`, ...viaIngress() },
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  test('an admin gets the user’s plan and subscription as billing has it', async () => {
    expect(await read('admin-token')).toEqual({
      status: 200,
      body: {
        plan: 'pro',
        subscribedPlan: 'pro',
        status: 'past_due',
        currentPeriodEnd: '2026-12-31T00:00:00.000Z',
        cancelAtPeriodEnd: false,
        graceEndsAt: '2026-12-10T00:00:00.000Z',
        notice: 'The last payment failed.',
        limits: { clientsPerTrainer: 0, aiReviewsPerWeek: 7, aiEstimatesPerDay: 50 },
      },
    });
    // Its own admin-only permission, the user named, and a signed principal for billing.
    expect(asked()).toEqual(['billing.read']);
    expect(forwarded).toEqual([{ userId }]);
    expect(principals[0]?.split('.')).toHaveLength(3);
  });

  test('a user id that is not a uuid is a 400 that asks nobody', async () => {
    expect((await read('admin-token', 'ann')).status).toBe(400);
    expect(asked()).toEqual([]);
    expect(forwarded).toEqual([]);
  });

  test('a trainer gets 403 and an admin without MFA 403 mfa_required; billing is never asked', async () => {
    expect(await read('trainer-token')).toMatchObject({ status: 403, body: { code: 'permission_denied' } });
    expect(await read('no-mfa-token')).toMatchObject({
      status: 403,
      body: { code: 'mfa_required', errors: { next: 'enrol_totp' } },
    });
    expect(forwarded).toEqual([]);
  });
});
