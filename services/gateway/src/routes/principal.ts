import { isPlan, ROLES } from '@tracking/contracts';
import { callUnary, principalMetadata, type PrincipalSigner } from '@tracking/kit';
import type { Metadata } from '@grpc/grpc-js';
import type { AuthServiceClient } from '@tracking/proto/tracking/auth/v1/auth';

import type { RateLimits } from '../deps';
import { accountKey } from '../edge/rate-limit';
import type { SessionMetadata } from '../http/route';

/** The permissions (docs/rbac.md) that the gateway asks auth about before calling a service with a principal. */
export type TrackingPermission =
  | 'tracking.own'
  | 'tracking.assigned_clients'
  | 'tracking.stats'
  | 'tracking.support'
  | 'billing.manage'
  | 'billing.read'
  | 'backup.read'
  | 'account.manage'
  | 'users.manage';

/**
 * Asks auth whether the session holds `permission` (which also checks MFA), then signs what auth
 * said into a short-lived assertion for one service (docs/principal.md). Only the gateway holds
 * the signing key, so a service behind it can trust the principal and nothing else.
 */
export async function principalFor(
  deps: { auth: AuthServiceClient; principals: PrincipalSigner; rateLimits?: RateLimits | undefined },
  session: SessionMetadata,
  permission: TrackingPermission,
  audience: 'tracking' | 'ai-inference' | 'billing' | 'backup' | 'privacy',
): Promise<Metadata> {
  const caller = await callUnary(deps.auth.authorize.bind(deps.auth), { permission }, session);
  // Per account, whichever of its sessions and addresses the requests come from.
  await deps.rateLimits?.consume('account', accountKey(caller.userId), permission);
  const assertion = await deps.principals.sign(
    {
      userId: caller.userId,
      role: ROLES.name(caller.role),
      sessionId: caller.sessionId,
      verifiedEmail: caller.verifiedEmail || null,
      // A plan auth does not name (none should exist) gets the free plan's limits, never more.
      plan: isPlan(caller.plan) ? caller.plan : 'free',
    },
    audience,
  );
  return principalMetadata(assertion);
}
