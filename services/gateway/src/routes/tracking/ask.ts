import { callUnary } from '@tracking/kit';
import type { TrackingServiceClient } from '@tracking/proto/tracking/tracking/v1/tracking';

import type { GatewayDeps } from '../../deps';
import type { SessionMetadata } from '../../http/route';
import { principalFor, type TrackingPermission } from '../principal';

/**
 * Meals, metrics, goals, links, comments and reviews (docs/tracking.md). Three audiences:
 * `/me/...` for a client's own logs (tracking.own), `/trainer/...` for a trainer and the clients
 * linked to them (tracking.assigned_clients), `/admin/...` for counts and break-glass. The
 * gateway asks auth for the permission, then forwards a signed principal; which rows exist for
 * that principal is decided by row-level security in the tracking database, and a row the caller
 * may not see is a 404, never a 403.
 */

type Unary<Req, Res> = Parameters<typeof callUnary<Req, Res>>[0];

export async function ask<Req, Res>(
  deps: GatewayDeps,
  session: SessionMetadata,
  permission: TrackingPermission,
  method: (client: TrackingServiceClient) => Unary<Req, Res>,
  request: Req,
): Promise<Res> {
  const metadata = await principalFor(deps, session, permission, 'tracking');
  return callUnary(method(deps.tracking), request, metadata);
}

export const OWN = 'tracking.own';
export const COACH = 'tracking.assigned_clients';
