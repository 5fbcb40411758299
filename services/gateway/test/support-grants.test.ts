import { createClient, createMetrics, PRINCIPAL_HEADER, unary } from '@tracking/kit';
import {
  TrackingServiceClient,
  TrackingServiceService,
  type ListSupportGrantsResponse,
  type TrackingServiceServer,
} from '@tracking/proto/tracking/tracking/v1/tracking';
import { captureLogger } from '@tracking/testing';

import { viaIngress } from './edge-support';
import { standIn, startStandInGateway, type StandInGateway } from './offline-services';

// GET /admin/support-access in process (#23), against a stand-in auth that answers Authorize and
// a stand-in tracking that answers ListSupportGrants: the permission the gateway asks for, that
// tracking gets a signed principal, what the console receives, and how refusals arrive.
describe('an admin’s open support grants through the gateway', () => {
  const { log } = captureLogger('gateway');
  const metrics = createMetrics();
  const principals: string[] = [];
  const listSupportGrants = unary<object, ListSupportGrantsResponse>(
    't/ListSupportGrants',
    { log, metrics },
    (_request, call) => {
      principals.push(String(call.metadata.get(PRINCIPAL_HEADER)[0] ?? ''));
      return Promise.resolve({
        grants: [
          {
            grantId: '0c9e8d7f-6a5b-4c3d-8e1f-0a9b8c7d6e52',
            clientId: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c63',
            reason: 'ticket 45: a quick look',
            createdAt: new Date('2026-12-06T14:00:00.000Z'),
            expiresAt: new Date('2026-12-06T14:02:00.000Z'),
          },
        ],
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
        [TrackingServiceService, standIn<TrackingServiceServer>({ listSupportGrants }, { log, metrics })],
      ],
      clients: (address) => ({ tracking: createClient(TrackingServiceClient, address, { tls: {} }) }),
    });
  });

  afterAll(async () => {
    await gateway?.stop();
  });

  beforeEach(() => {
    asked().length = 0;
    principals.length = 0;
  });

  const list = async (token: string) => {
    const response = await fetch(`${gateway?.url ?? ''}/api/v1/admin/support-access`, {
      headers: { authorization: `Bearer ${token}`, ...viaIngress() },
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  test('an admin gets the grants tracking listed for them, with times as ISO strings', async () => {
    expect(await list('admin-token')).toEqual({
      status: 200,
      body: {
        items: [
          {
            grantId: '0c9e8d7f-6a5b-4c3d-8e1f-0a9b8c7d6e52',
            clientId: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c63',
            reason: 'ticket 45: a quick look',
            createdAt: '2026-12-06T14:00:00.000Z',
            expiresAt: '2026-12-06T14:02:00.000Z',
          },
        ],
      },
    });
    // Break-glass's own permission, and tracking is told who asks by a signed principal.
    expect(asked()).toEqual(['tracking.support']);
    expect(principals).toHaveLength(1);
    expect(principals[0]?.split('.')).toHaveLength(3);
  });

  test('a trainer gets 403 and an admin without MFA 403 mfa_required; tracking is never asked', async () => {
    expect(await list('trainer-token')).toMatchObject({ status: 403, body: { code: 'permission_denied' } });
    expect(await list('no-mfa-token')).toMatchObject({
      status: 403,
      body: { code: 'mfa_required', errors: { next: 'enrol_totp' } },
    });
    expect(principals).toEqual([]);
  });
});
